"""F1: what happens on this screen and why, and the keys that work here.

Newcomers should never have to guess what a step will do to their cloud account; the
help says it in plain words, next to the keys.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Markdown, Static


class HelpDialog(ModalScreen[None]):
    """A scrollable help text plus a key table."""

    DEFAULT_CSS = """
    HelpDialog {
        align: center middle;
        background: $background 60%;
        & > Vertical {
            width: 90;
            max-width: 95%;
            height: 90%;
            border: thick $primary;
            background: $surface;
            padding: 0 1;
        }
        & #help-title {
            text-style: bold;
            padding: 0 1;
            margin-top: 1;
        }
        & VerticalScroll {
            height: 1fr;
        }
        & Markdown {
            margin: 0;
            padding: 0 1;
            background: $surface;
        }
        & #help-keys {
            padding: 0 1;
            margin-bottom: 1;
        }
        & #help-close {
            margin: 0 1 1 1;
        }
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("f1", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, title: str, text: str, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.help_title = title
        self.text = text
        """Markdown: what happens here and why."""
        self.keys = keys
        """(key, what it does) pairs."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.help_title, id="help-title")
            with VerticalScroll():
                yield Markdown(self.text)
                yield Static(self._keys_content(), id="help-keys")
            yield Button("Close (Esc)", id="help-close", compact=True)

    def _keys_content(self) -> Content:
        if not self.keys:
            return Content("")
        width = max(len(key) for key, _ in self.keys)
        lines = [Content.from_markup("[b]Keys[/b]")]
        lines += [
            Content.from_markup("[$text-accent]$key[/]  $what", key=key.ljust(width), what=what)
            for key, what in self.keys
        ]
        return Content("\n").join(lines)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
