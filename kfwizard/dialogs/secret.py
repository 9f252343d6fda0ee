"""Asks for a value only the person knows (kfp-gcp's Cloud SQL password), at the moment
the apply step needs it.

The value goes to the step and from there only into the Secret it names: it is never
saved with the session or written to the log (the step registers it with the redactor),
so a resumed apply asks again. Cancel leaves the step failed with how else to give it.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from kfwizard.dialogs.frame import DialogBody, FramedDialog


class SecretDialog(FramedDialog["str | None"]):
    """Dismisses with the typed value, or None (cancelled)."""

    DEFAULT_CSS = """
    SecretDialog Input {
        margin-bottom: 1;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, where: str, env: str) -> None:
        super().__init__()
        self.prompt = prompt
        self.where = where
        self.env = env

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.prompt, id="secret-title", classes="dialog-title")
            with DialogBody():
                yield Static(
                    f"kfwizard writes it only into {self.where} on the cluster: it is never "
                    "saved with the session or logged, so a later apply asks again (or reads "
                    f"{self.env} when set).",
                    id="secret-body",
                    classes="dialog-body",
                )
            with Vertical(classes="dialog-controls"):
                yield Input(password=True, id="secret-value", compact=True)
                with Horizontal():
                    yield Button("Cancel", id="no", compact=True)
                    yield Button("Use it", id="yes", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#secret-value", Input).focus()

    @on(Input.Submitted, "#secret-value")
    @on(Button.Pressed, "#yes")
    def _use(self) -> None:
        self.dismiss(self.query_one("#secret-value", Input).value)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
