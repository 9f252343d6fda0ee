"""What went wrong, in plain words, and what to do next.

Shown in place of guesswork when a step fails: the cause as the engine phrased it, the
next action, the first lines of detail, and three ways on: Retry (the runner skips
what is already done), the way to the selection to change (the screen names it: "Change
settings" focuses the field on this screen the advice names, "Back to Cluster" opens
the screen where it is chosen, "Back" the previous step), or Save and quit (the session
is resumable later).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.widgets import Button, Static

MAX_DETAILS = 4
"""Detail lines shown in the panel; the log has them all."""


class FailurePanel(Vertical):
    """Hidden until :meth:`show_failure`; its buttons are handled by the screen."""

    DEFAULT_CSS = """
    FailurePanel {
        height: auto;
        display: none;
        border: round $error;
        border-title-color: $text-error;
        border-title-style: bold;
        background: $error-muted;
        padding: 0 1;
        margin: 0 0 1 0;
        &.-shown {
            display: block;
        }
        & #failure-cause {
            text-style: bold;
        }
        & #failure-details {
            margin-top: 1;
            color: $text-muted;
        }
        & > Horizontal {
            height: auto;
            margin-top: 1;
        }
        & Button {
            margin-right: 2;
        }
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="failure-cause")
        yield Static(id="failure-action")
        # The ways on come before the detail lines, so they stay in view on 24 rows.
        with Horizontal():
            yield Button("Retry", id="retry", variant="primary", compact=True)
            yield Button("Back", id="failure-back", compact=True)
            yield Button("Save and quit", id="save-quit", compact=True)
        yield Static(id="failure-details")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._failure: tuple[str, str | None, str | None, list[str], bool] | None = None
        self._back_label = "Back"
        self._focus_pending = False

    def on_mount(self) -> None:
        self._paint()

    def show_failure(
        self,
        title: str,
        cause: str | None,
        action: str | None,
        details: Sequence[str] = (),
        *,
        interrupted: bool = False,
        focus: bool = False,
        back_label: str = "Back",
    ) -> None:
        """Fill in and show the panel (``interrupted`` reads as a pause, not an error).

        Works before the panel has mounted (it is mounted on first use): the content is
        painted, and with ``focus`` the panel scrolled into view and Retry focused, as
        soon as its children exist.
        """
        lines = [line for line in details if line.strip()]
        self._failure = (title, cause, action, lines, interrupted)
        self._back_label = back_label
        self._focus_pending = self._focus_pending or focus
        self.add_class("-shown")
        self._paint()

    def _paint(self) -> None:
        if self._failure is None:
            return
        try:
            retry = self.query_one("#retry", Button)
        except NoMatches:  # not composed yet: on_mount paints
            return
        title, cause, action, lines, interrupted = self._failure
        self.border_title = title
        self.set_class(interrupted, "-interrupted")
        # Plain Content, not markup: "[fail] capacity: ..." must keep its brackets.
        self.query_one("#failure-cause", Static).update(
            Content(cause or "The step did not finish.")
        )
        self.query_one("#failure-action", Static).update(
            Content.from_markup("[b]Next:[/b] $action", action=action)
            if action
            else Content("Next: retry, or change a selection.")
        )
        shown = lines[:MAX_DETAILS]
        if len(lines) > MAX_DETAILS:
            shown.append(f"… {len(lines) - MAX_DETAILS} more lines in the log")
        details_widget = self.query_one("#failure-details", Static)
        details_widget.update(Content("\n".join(shown)))
        details_widget.display = bool(shown)
        retry.label = "Resume" if interrupted else "Retry"
        self.query_one("#failure-back", Button).label = self._back_label
        if self._focus_pending:
            self._focus_pending = False
            retry.focus(scroll_visible=False)
            self.call_after_refresh(self.scroll_visible, animate=False, top=True)

    def hide(self) -> None:
        self.remove_class("-shown")
