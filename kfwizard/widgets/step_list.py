"""The engine steps of a screen with their state and elapsed time.

A wait without feedback feels like a hang; a ticking timer and a plain state per step
("waiting for 3 Deployments") show the install is alive and where it is.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass

from textual.content import Content

from kfwizard.widgets.steady import SteadyStatic
from kfwizard.widgets.step_indicator import MARKS


@dataclass
class StepRow:
    step_id: str
    title: str
    state: str = "pending"
    elapsed: float | None = None
    started: float | None = None
    note: str = ""
    eta: float | None = None


NOTE_MIN_WIDTH = 20
"""Narrower than this beside the columns, a note goes under its row's title instead."""

UNDER_TITLE = 4
"""Where a note that has no room beside the columns starts, on the lines under its row:
two columns right of the titles, so it does not read as a step of its own."""


def hang_note(note: str, indent: int, width: int) -> str:
    """Wrap ``note`` to ``width`` columns minus ``indent``, continuation lines indented.

    A long progress note ("Creating node pools (default-pool): 1 of 3 nodes created")
    otherwise wraps back to the first column, under the marks, where it reads as a row
    of its own. When the columns leave less than ``NOTE_MIN_WIDTH`` beside them (long
    titles in the form's column at 120x40), a note that does not fit there starts on
    the next line, at ``UNDER_TITLE``, and hangs from there.
    """
    room = width - indent
    if width <= 0 or len(note) <= room:
        return note
    if room < NOTE_MIN_WIDTH:
        if width - UNDER_TITLE < NOTE_MIN_WIDTH:
            return note  # too narrow for any hanging: one row per line, as Textual wraps
        return "\n" + " " * UNDER_TITLE + hang_note(note, UNDER_TITLE, width)
    lines = textwrap.wrap(note, room, break_long_words=True, break_on_hyphens=False)
    return ("\n" + " " * indent).join(lines)


def format_elapsed(seconds: float | None) -> str:
    """``42s``, ``3m 05s``, ``1h 02m``; empty for unknown."""
    if seconds is None:
        return ""
    total = int(seconds)
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


class StepList(SteadyStatic):
    """One line per step: mark, title, elapsed, note."""

    DEFAULT_CSS = """
    StepList {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, ticking: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: dict[str, StepRow] = {}
        """Step id -> row, in plan order."""
        self.ticking = ticking
        """Show and update elapsed times (off for deterministic snapshots)."""

    def on_mount(self) -> None:
        if self.ticking:
            self.set_interval(1.0, self._tick, name="step-list-tick")
        self._refresh_content()

    def set_steps(
        self,
        steps: Sequence[tuple[str, str]],
        states: dict[str, str] | None = None,
        *,
        fresh: bool = False,
    ) -> None:
        """Show these (id, title) steps, keeping known states; ``fresh`` (a run starts
        them): every row pending, since each is checked again and its finish sets its
        mark. Kept marks were the last run's: "✓ Connect to the cluster" stayed up
        while a replacement cluster was being created."""
        old = {} if fresh else self.rows
        self.rows = {}
        for step_id, title in steps:
            row = old.get(step_id) or StepRow(step_id, title)
            row.title = title
            if states and step_id in states and step_id not in old and not fresh:
                row.state = states[step_id]
            self.rows[step_id] = row
        self._refresh_content()

    def started(self, step_id: str, title: str, eta: float | None = None) -> None:
        row = self.rows.setdefault(step_id, StepRow(step_id, title))
        row.state, row.started, row.elapsed, row.note, row.eta = (
            "running",
            time.monotonic(),
            0.0,
            "",
            eta,
        )
        self._refresh_content()

    def progress(self, step_id: str, message: str) -> None:
        if step_id in self.rows:
            self.rows[step_id].note = message
            self._refresh_content()

    def finished(self, step_id: str, state: str, elapsed: float, note: str = "") -> None:
        row = self.rows.setdefault(step_id, StepRow(step_id, step_id))
        row.state, row.elapsed, row.started, row.note = state, elapsed, None, note
        self._refresh_content()

    def on_resize(self) -> None:
        """The notes wrap at the width: wrap them again at the new one."""
        self._refresh_content()
        super().on_resize()

    def _tick(self) -> None:
        if any(row.started is not None for row in self.rows.values()):
            self._refresh_content()

    def _refresh_content(self) -> None:
        if not self.is_attached:
            return
        if not self.rows:
            self.show(Content.from_markup("[$text-muted]No steps yet.[/]"))
            return
        width = max((len(row.title) for row in self.rows.values()), default=10)
        note_column = 1 + 1 + width + 2 + 7 + 2  # mark, title, timing and their gaps
        lines = []
        for row in self.rows.values():
            state = "done" if row.state == "skipped" else row.state
            mark, colour = MARKS.get(state, MARKS["pending"])
            elapsed = row.elapsed
            if row.started is not None and self.ticking:
                elapsed = time.monotonic() - row.started
            timing = format_elapsed(elapsed) if row.state != "pending" else ""
            if not self.ticking:
                # Without a clock (snapshots) times would differ from run to run.
                timing = "running" if row.state == "running" else ""
            note = row.note or ("already in place" if row.state == "skipped" else "")
            lines.append(
                Content.from_markup(
                    f"[{colour}]$mark[/] $title  [$text-muted]$timing[/]  [$text-muted]$note[/]",
                    mark=mark,
                    title=row.title.ljust(width),
                    timing=timing.rjust(7),
                    note=hang_note(note, note_column, self.size.width),
                )
            )
        self.show(Content("\n").join(lines))
