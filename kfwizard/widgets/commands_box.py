"""The shell commands a person would type to do what the current step does.

Showing them teaches the manual recipe and gives a way out: anything the wizard does
can be done, or repeated, by hand. ``ctrl+y`` copies them (the screen binds it).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content

from kfwizard.widgets.steady import SteadyStatic


class CommandsBox(SteadyStatic):
    """A bordered, copyable list of commands."""

    DEFAULT_CSS = """
    CommandsBox {
        height: auto;
        max-height: 12;
        border: round $border-blurred;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        padding: 0 1;
        color: $text;
        background: $surface;
    }
    """

    def __init__(
        self,
        commands: Sequence[str] = (),
        *,
        title: str = "Equivalent commands",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.commands: list[str] = list(commands)
        """The commands shown, in order."""
        self.border_title = title
        self.border_subtitle = "ctrl+y copies"

    def on_mount(self) -> None:
        self._refresh_content()

    def set_commands(self, commands: Sequence[str]) -> None:
        """Replace the commands (for example when a selection changes)."""
        if list(commands) == self.commands:
            return
        self.commands = list(commands)
        self._refresh_content()

    def _refresh_content(self) -> None:
        if not self.commands:
            self.show(Content.from_markup("[$text-muted]No commands for this step yet.[/]"))
            return
        lines = [
            Content.from_markup("[$text-muted]$ [/]$cmd", cmd=command)
            if not command.startswith("#")
            else Content.from_markup("[$text-muted]$cmd[/]", cmd=command)
            for command in self.commands
        ]
        self.show(Content("\n").join(lines))

    def text(self) -> str:
        """The commands as a shell snippet, one per line."""
        return "\n".join(self.commands)
