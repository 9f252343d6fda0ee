"""A labelled form field with an inline message line under it.

Rules are shown where the mistake is: the message names the field and the rule
("Cluster name: 1-40 characters, ..."), and the input keeps exactly what was typed so
nothing is lost while it is fixed. When the field is valid, the message line shows a
hint instead (for example where a detected value came from).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Label, Static


class Field(Vertical):
    """``label | control`` on one line, then a message line (hint or error)."""

    DEFAULT_CSS = """
    Field {
        height: auto;
        margin: 0 0 0 0;
        & > .field--row {
            height: auto;
        }
        & .field--label {
            width: 20;
            padding: 0 1 0 0;
            color: $text;
            text-style: bold;
        }
        & .field--message {
            padding: 0 0 0 20;
            color: $text-muted;
            height: auto;
        }
        & .field--message.-empty {
            display: none;
        }
        &.-invalid .field--message {
            color: $text-error;
        }
        &.-invalid .field--label {
            color: $text-error;
        }
    }
    """

    def __init__(
        self,
        label: str,
        control: Widget,
        *,
        hint: str = "",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.label = label
        """The field's name, also used in its error messages."""
        self.control = control
        """The input widget (Input, Select, RadioSet, ...)."""
        self._hint = hint
        self._error: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field--row"):
            yield Label(self.label, classes="field--label")
            yield self.control
        yield Static("", classes="field--message -empty")

    def on_mount(self) -> None:
        self._refresh_message()

    @property
    def error(self) -> str | None:
        """The current error message (already naming the field), or None."""
        return self._error

    def set_error(self, rule: str | None) -> None:
        """Show ``rule`` as an error naming this field; None clears it."""
        self._error = f"{self.label}: {rule}" if rule else None
        self.set_class(self._error is not None, "-invalid")
        self._refresh_message()

    def set_hint(self, hint: str) -> None:
        """Show a hint (shown only while there is no error)."""
        self._hint = hint
        self._refresh_message()

    def _refresh_message(self) -> None:
        try:
            message = self.query_one(".field--message", Static)
        except NoMatches:  # not composed yet; on_mount paints it
            return
        if self._error:
            message.update(Content.from_markup("✗ $text", text=self._error))
        elif self._hint:
            message.update(Content(self._hint))
        message.set_class(not (self._error or self._hint), "-empty")
