"""Yes/no confirmation, optionally guarded by typing a name.

Destructive actions (deleting a session, deleting a cluster the session did not create)
say exactly what will happen, default to the safe answer, and for the worst cases ask
the user to type the name of what goes away.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Label, Static

from kfwizard.dialogs.frame import DialogBody, FramedDialog


class ConfirmDialog(FramedDialog[bool]):
    """Dismisses with True (confirmed) or False (cancelled)."""

    DEFAULT_CSS = """
    ConfirmDialog {
        &.-danger > Vertical {
            border: thick $error;
        }
        & #confirm-typed-label {
            color: $text-muted;
        }
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        body: str | Content,
        *,
        yes: str = "Yes",
        no: str = "Cancel",
        danger: bool = False,
        require_text: str | None = None,
    ) -> None:
        super().__init__(classes="-danger" if danger else None)
        self.title_text = title
        self.body = body
        self.yes_label = yes
        self.no_label = no
        self.danger = danger
        self.require_text = require_text
        """When set, the user must type this exactly before Yes is enabled."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="confirm-title", classes="dialog-title")
            with DialogBody():
                yield Static(self.body, id="confirm-body", classes="dialog-body")
            with Vertical(classes="dialog-controls"):
                if self.require_text:
                    yield Label(f"Type {self.require_text} to confirm:", id="confirm-typed-label")
                    yield Input(placeholder=self.require_text, id="confirm-typed", compact=True)
                with Horizontal():
                    yield Button(self.no_label, id="no", compact=True)
                    yield Button(
                        self.yes_label,
                        id="yes",
                        variant="error" if self.danger else "primary",
                        compact=True,
                        disabled=bool(self.require_text),
                    )

    def on_mount(self) -> None:
        self.call_after_refresh(self._focus_default)

    def restate(self, title: str, body: str | Content, *, yes: str, no: str) -> None:
        """Ask a different question in place: what the dialog asked about changed
        while it was open (the step it would stop has ended on its own)."""
        self.title_text, self.body, self.yes_label, self.no_label = title, body, yes, no
        self.danger = False
        self.remove_class("-danger")
        self.query_one("#confirm-title", Label).update(title)
        self.query_one("#confirm-body", Static).update(body)
        self.query_one("#yes", Button).label = yes
        self.query_one("#yes", Button).variant = "primary"
        self.query_one("#no", Button).label = no

    def _focus_default(self) -> None:
        if self.require_text:
            self.query_one("#confirm-typed", Input).focus()
        else:
            self.query_one("#no" if self.danger else "#yes", Button).focus()

    @on(Input.Changed, "#confirm-typed")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#yes", Button).disabled = event.value.strip() != self.require_text

    @on(Input.Submitted, "#confirm-typed")
    def _typed_submit(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.require_text:
            self.dismiss(True)

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)
