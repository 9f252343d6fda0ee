"""A calm, dismissable notice (first-run explanation, set-aside session files)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static


class Notice(Horizontal):
    """Text on the left, an optional "Got it" button on the right."""

    DEFAULT_CSS = """
    Notice {
        height: auto;
        border: round $primary;
        border-title-color: $text-primary;
        background: $primary-muted;
        padding: 0 1;
        margin: 0 0 1 0;
        &.-warning {
            border: round $warning;
            border-title-color: $text-warning;
            background: $warning-muted;
        }
        & > Static {
            width: 1fr;
            height: auto;
        }
        & > Button {
            margin-left: 1;
        }
    }
    """

    class Dismissed(Message):
        """The user closed the notice."""

        def __init__(self, notice: Notice) -> None:
            super().__init__()
            self.notice = notice

        @property
        def control(self) -> Notice:
            return self.notice

    def __init__(
        self,
        text: str | Content,
        *,
        title: str = "",
        dismissable: bool = True,
        warning: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="-warning" if warning else None)
        self._text = text
        self._dismissable = dismissable
        self.border_title = title

    def compose(self) -> ComposeResult:
        yield Static(self._text)
        if self._dismissable:
            yield Button("Got it", compact=True, classes="notice--dismiss")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Dismissed(self))
        self.remove()
