"""The shell commands a person would type to do what the current step does.

Showing them teaches the manual recipe and gives a way out: anything the wizard does
can be done, or repeated, by hand. ``ctrl+y`` copies them (the screen binds it).

A command longer than the box (``gcloud container clusters create …`` is about 180
characters) is cut into rows here, as the log pane cuts its lines, so that a row that
carries a command on is indented under it rather than starting at the margin like a
command of its own. Text selected with the mouse is the commands as written.

The box takes at most ``MAX_ROWS`` rows, so it never pushes the form out of sight. The
install plan has more commands than that: the box shows the commands that fit, whole,
and says on its last row how many more there are and that ``ctrl+y`` copies them all
(cut silently, seven commands on screen and "17 commands copied" read as a slip).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.selection import Selection

from kfwizard.widgets.log_wrap import MIN_WRAP_WIDTH, ContinuedRow, selected_text, wrap_cells
from kfwizard.widgets.steady import SteadyStatic
from kfwizard.wording import plural

MAX_ROWS = 10
"""Rows of commands the box shows at most (inside its border)."""


class CommandsBox(SteadyStatic):
    """A bordered, copyable list of commands."""

    DEFAULT_CSS = """
    CommandsBox {
        height: auto;
        max-height: 12;  /* MAX_ROWS and the border; also when Textual wraps (no width) */
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
        self._rows: list[str] = []
        """The rows shown, continued ones as ``ContinuedRow``."""
        self._cut_at = 0
        """The width the rows were cut at (0: not cut; Textual wraps them)."""

    def on_mount(self) -> None:
        self._refresh_content()

    def on_resize(self) -> None:
        # After this layout: new content now would keep the height laid out for the old.
        if self.commands and self._row_width() != self._cut_at:
            self.call_after_refresh(self._refresh_content)

    def set_commands(self, commands: Sequence[str]) -> None:
        """Replace the commands (for example when a selection changes)."""
        if list(commands) == self.commands:
            return
        self.commands = list(commands)
        self._refresh_content()

    def _row_width(self) -> int:
        """The width to cut rows at now (0 before the first layout, or too narrow)."""
        width = self.content_size.width if self.is_mounted else 0
        return width if width >= MIN_WRAP_WIDTH else 0

    def _refresh_content(self) -> None:
        self._cut_at = self._row_width()
        if not self.commands:
            self._rows = []
            self.show(Content.from_markup("[$text-muted]No commands for this step yet.[/]"))
            return
        rows, hidden = fitting_rows(self.commands, self._cut_at, MAX_ROWS)
        styled = styled_rows(rows)
        if hidden:
            more = more_row(hidden, self.commands)
            rows = [*rows, more]
            styled.append(Content.from_markup("[$text-muted]$more[/]", more=more))
        self._rows = rows
        self.show(Content("\n").join(styled))

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text with cut rows joined back into their commands."""
        if not self._rows:  # the "no commands" line
            return super().get_selection(selection)
        return selected_text(self._rows, selection), "\n"

    def text(self) -> str:
        """The commands as a shell snippet, one per line."""
        return "\n".join(self.commands)


def counted(commands: Sequence[str]) -> int:
    """The commands among ``commands``, not counting ``#`` comments (as ctrl+y's
    "N commands copied" counts them)."""
    return len([c for c in commands if not c.startswith("#")])


def fitting_rows(commands: Sequence[str], width: int, limit: int) -> tuple[list[str], list[str]]:
    """The rows of the commands that fit in ``limit`` rows, and the commands left out.

    When some are left out, one row is kept for saying so, and only whole commands are
    shown (one cut off mid-way would be copied by hand as if it were whole); a first
    command taller than the room is shown as far as it fits.
    """
    rows = command_rows(commands, width)
    if len(rows) <= limit:
        return rows, []
    room, shown = limit - 1, 0
    kept: list[str] = []
    while shown < len(commands):
        its_rows = command_rows([commands[shown]], width)
        if len(kept) + len(its_rows) > room:
            break
        kept += its_rows
        shown += 1
    if not kept:
        kept, shown = command_rows(commands[:1], width)[:room], 1
    return kept, list(commands[shown:])


def more_row(hidden: Sequence[str], commands: Sequence[str]) -> str:
    """The last row when commands are left out: how many, and that ctrl+y copies all."""
    count, total = counted(hidden), counted(commands)
    if not count:  # only comments left out
        return f"… ctrl+y copies all {plural(total, 'command')}"
    return f"… {count} more: ctrl+y copies all {plural(total, 'command')}"


def command_rows(commands: Sequence[str], width: int) -> list[str]:
    """Each command as ``$ command`` (a ``#`` comment as it is), cut into rows of at
    most ``width`` cells; 0 leaves every command on one row."""
    rows: list[str] = []
    for command in commands:
        line = command if command.startswith("#") else f"$ {command}"
        rows += wrap_cells(line, width) if width else [line]
    return rows


def styled_rows(rows: Sequence[str]) -> list[Content]:
    """The rows as painted: the prompt and comments muted, commands in the text colour
    (a continued row as the row it carries on)."""
    styled: list[Content] = []
    comment = False
    for row in rows:
        if not isinstance(row, ContinuedRow):
            comment = row.startswith("#")
            if not comment:
                styled.append(Content.from_markup("[$text-muted]$ [/]$cmd", cmd=row[2:]))
                continue
        styled.append(
            Content.from_markup("[$text-muted]$row[/]", row=row) if comment else Content(row)
        )
    return styled
