"""The wizard's progress line: five steps, the current one highlighted.

A person resuming a broken install must see at a glance where they are and what went
wrong, so each step shows a mark: done (tick), failed (cross), interrupted (!),
running, or not started. The states come from the session's step records, so the
indicator is right after a resume without any extra bookkeeping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from kfwizard.engine.phases import PHASE_TITLES, PHASES, wizard_phase

MARKS: dict[str, tuple[str, str]] = {
    "done": ("✓", "$text-success"),
    "failed": ("✗", "$text-error"),
    "interrupted": ("!", "$text-warning"),
    "running": ("◌", "$text-accent"),
    "pending": ("○", "$text-muted"),
}
"""Phase state -> (mark, theme colour)."""

SHORT_TITLES: dict[str, str] = {**PHASE_TITLES, "mode": "Mode"}
"""Titles used when the terminal is narrow."""


def phase_states(steps: Mapping[str, Any]) -> dict[str, str]:
    """Each phase's state from the session's step records (``StepRecord`` or dict).

    A phase is failed or interrupted when any of its steps is; running when one runs;
    done when it has steps and all are done or skipped; otherwise pending.
    """
    by_phase: dict[str, list[str]] = {phase: [] for phase in PHASES}
    for step_id, rec in steps.items():
        state = rec.get("state") if isinstance(rec, Mapping) else getattr(rec, "state", "pending")
        phase = wizard_phase(step_id)
        if phase is not None:
            by_phase[phase].append(str(state))
    result: dict[str, str] = {}
    for phase in PHASES:
        states = by_phase.get(phase, [])
        if "failed" in states:
            result[phase] = "failed"
        elif "interrupted" in states:
            result[phase] = "interrupted"
        elif "running" in states:
            result[phase] = "running"
        elif states and all(s in ("done", "skipped") for s in states):
            result[phase] = "done"
        else:
            result[phase] = "pending"
    return result


def resume_phase(steps: Mapping[str, Any]) -> str:
    """Where a session carries on: the first phase that is not done (Verify at the end)."""
    states = phase_states(steps)
    for phase in PHASES:
        if states[phase] != "done":
            return phase
    return PHASES[-1]


class StepIndicator(Widget):
    """One line: ``✓ Project › ● Cluster › ○ Deployment mode › ○ Install › ○ Verify``.

    Done steps and the current one are links: clicking them goes there (the keyboard
    way is Back / Next).
    """

    DEFAULT_CSS = """
    StepIndicator {
        width: 1fr;
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    current: reactive[str] = reactive("project")
    """The phase on screen."""
    states: reactive[dict[str, str]] = reactive(dict, always_update=True)
    """Phase -> done / failed / interrupted / running / pending."""

    def __init__(self, current: str = "project", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(StepIndicator.current, current)

    def update_from(self, steps: Mapping[str, Any]) -> None:
        """Recompute the marks from a session's step records."""
        self.states = phase_states(steps)

    def text_for(self, width: int) -> Content:
        """The rendered line for a given width (short titles below 76 cells)."""
        titles = PHASE_TITLES if width >= 76 else SHORT_TITLES
        parts: list[Content] = []
        for number, phase in enumerate(PHASES, start=1):
            state = self.states.get(phase, "pending")
            mark, colour = MARKS.get(state, MARKS["pending"])
            title = titles[phase]
            if phase == self.current:
                mark = "●" if state == "pending" else mark
                piece = Content.from_markup(
                    "[reverse $text-accent] $mark $title [/]", mark=mark, title=title
                )
            elif state == "done":
                piece = Content.from_markup(
                    f"[@click=app.goto('{phase}')][{colour}]$mark[/] $title[/]",
                    mark=mark,
                    title=title,
                )
            else:
                style = "" if state != "pending" else "$text-muted"
                piece = Content.from_markup(
                    f"[{colour}]$mark[/] [{style}]$title[/]"
                    if style
                    else f"[{colour}]$mark[/] $title",
                    mark=mark,
                    title=title,
                )
            parts.append(piece)
            if number < len(PHASES):
                parts.append(Content.from_markup("[$text-muted] › [/]"))
        return Content("").join(parts)

    def render(self) -> Content:
        return self.text_for(self.size.width or 80)
