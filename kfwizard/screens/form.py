"""The step screens that are forms: Project, Cluster and Deployment mode.

They open with the cursor in their first field, after its value, so typing starts
there; Enter in a text field moves on to the next one.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.widgets import Input

from kfwizard.screens.base import WizardScreen

FIRST_FIELD = ".field--row > *"
"""A field's control (the label is not focusable), in the order the form shows them."""


class FormScreen(WizardScreen):
    """A step screen whose main part is a form of ``Field`` widgets."""

    AUTO_FOCUS: ClassVar[str | None] = ""
    """Off: ``on_mount`` focuses the first field itself. Textual's default focused the
    scrolling form (whose focus restyles every widget in it), and an ``AUTO_FOCUS``
    selector scrolled the form to centre the field, hiding the title at 80x24: it
    focuses before the first layout, when nothing counts as visible yet."""

    def on_mount(self) -> None:
        # (Textual also runs WizardScreen.on_mount: handlers are called along the MRO.)
        for control in self.query(FIRST_FIELD):
            if control.focusable:
                text = control if isinstance(control, Input) and control.select_on_focus else None
                if text is not None:
                    # Cursor after the detected or saved value, not selecting it: a
                    # first key press must not replace it. Tab still selects.
                    text.select_on_focus = False
                self.set_focus(control, scroll_visible=False)
                if text is not None:  # queued after the Focus event set_focus just posted
                    text.call_later(setattr, text, "select_on_focus", True)
                return

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.focus_next()
