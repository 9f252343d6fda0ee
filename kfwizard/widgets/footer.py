"""The key footer, rebuilt only when the keys it shows change, and then in place.

Textual's ``Footer`` recomposes (removes and mounts every key) each time the screen
publishes a bindings update: on mount, on every focus move and on every
``refresh_bindings``. A step screen does all three while it opens, which cost four
full rebuilds before the first screen was interactive. This one coalesces the updates
of a refresh into one check and skips the rebuild when the keys are the same.

When the keys do change (a run starts or ends: Cancel comes and goes, the log's keys
follow the focus), the keys already shown take the new keys' text, action and state,
and only the difference in number is mounted or removed. A rebuild mounted every key
again, and each new key restyled itself twice while mounting (its ``compact`` state
starts on and is then bound off): 20-30 ms of the event loop at each start and end
of a run. Anything beyond plain keys (binding groups) is still recomposed.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.compose import compose
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE = "-command-palette"
"""The class of the command palette's key (docked right, never bound to ``compact``)."""


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
        if not self._update_in_place():
            await self.recompose()

    def _update_in_place(self) -> bool:
        """Give the mounted keys the text and state of the keys ``Footer.compose`` would
        mount now, mounting or removing only the difference; False (nothing changed)
        when either side holds anything but keys."""
        with self._context():  # keys bind to the footer's ``compact`` as they compose
            fresh = compose(self)
        shown = list(self.children)
        if not shown or not all(type(widget) is FooterKey for widget in (*fresh, *shown)):
            return False
        old = [key for key in shown if isinstance(key, FooterKey)]
        new = [key for key in fresh if isinstance(key, FooterKey)]
        keys = [key for key in old if not key.has_class(PALETTE)]
        new_keys = [key for key in new if not key.has_class(PALETTE)]
        palette = [key for key in old if key.has_class(PALETTE)]
        new_palette = [key for key in new if key.has_class(PALETTE)]
        for pairs in (zip(keys, new_keys, strict=False), zip(palette, new_palette, strict=False)):
            for key, replacement in pairs:
                _take_over(key, replacement)
        surplus = keys[len(new_keys) :] + palette[len(new_palette) :]
        if surplus:
            self.remove_children(surplus)
        extra = new_keys[len(keys) :]
        if extra:
            self.mount_all(extra, before=palette[0] if palette else None)
        if new_palette[len(palette) :]:
            self.mount_all(new_palette[len(palette) :])
        return True

    def _signature(self) -> Hashable:
        """What the footer would show: each active binding's key, label and state."""
        return tuple(
            (key, binding.action, binding.description, binding.show, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
        )


def _take_over(key: FooterKey, new: FooterKey) -> None:
    """Make a mounted key show what ``new`` (composed, never mounted) would."""
    state = (new.key, new.key_display, new.description, new.action, new._disabled, new.tooltip)
    old = (key.key, key.key_display, key.description, key.action, key._disabled, key.tooltip)
    if state == old:
        return
    key.key, key.key_display, key.description, key.action = state[:4]
    key._disabled = new._disabled
    key.tooltip = new.tooltip
    key.set_class(new._disabled, "-disabled")
    key.refresh(layout=True)  # the text's width may change
