"""The key footer, rebuilt only when the keys it shows change.

Textual's ``Footer`` recomposes (removes and mounts every key) each time the screen
publishes a bindings update: on mount, on every focus move and on every
``refresh_bindings``. A step screen does all three while it opens, which cost four
full rebuilds before the first screen was interactive. This one coalesces the updates
of a refresh into one check and skips the rebuild when the keys are the same.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.screen import Screen
from textual.widgets import Footer


class WizardFooter(Footer):
    """A ``Footer`` that recomposes at most once per refresh, and only on a change."""

    def __init__(self) -> None:
        super().__init__()
        self._check_pending = False
        self._shown: Hashable = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached:
            return
        shown = self._signature()
        if shown == self._shown:
            return
        self._shown = shown
        await self.recompose()

    def _signature(self) -> Hashable:
        """What the footer would show: each active binding's key, label and state."""
        return tuple(
            (key, binding.action, binding.description, binding.show, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
        )
