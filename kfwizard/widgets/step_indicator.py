"""The wizard's progress line: five steps, the current one highlighted.

A person resuming a broken install must see at a glance where they are and what went
wrong, so each step shows a mark: done (tick), failed (cross), interrupted (!),
running, or not started. The states come from the session's step records, so the
indicator is right after a resume without any extra bookkeeping.

A teardown undoes steps without touching their records (its own steps belong to none of
the five), so :func:`session_phase_states` reads the journal and the inventory as well:
after a teardown the bar must not say Install ✓ over a deleted install. The bar and the
session picker both read it, so they cannot disagree.

:func:`phase_states` and :func:`resume_phase` live in :mod:`kfwizard.engine.phases`,
where ``kfwizard sessions`` reads them without Textual; they are imported here for the
bar and for the code that has always found them here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from kfwizard.engine.phases import (
    PHASE_TITLES,
    PHASES,
    phase_states,
    wizard_phase,
)
from kfwizard.engine.phases import resume_phase as resume_phase  # re-exported (app, tests)

if TYPE_CHECKING:
    from kfwizard.session import Session

REMOVED = "removed"
"""A phase whose work a finished teardown deleted."""
HALF_REMOVED = "half-removed"
"""A phase a teardown started to delete and did not finish (stopped, failed, running)."""

MARKS: dict[str, tuple[str, str]] = {
    "done": ("✓", "$text-success"),
    "failed": ("✗", "$text-error"),
    "interrupted": ("!", "$text-warning"),
    "running": ("◌", "$text-accent"),
    "pending": ("○", "$text-muted"),
    REMOVED: ("⊘", "$text-muted"),
    HALF_REMOVED: ("◐", "$text-warning"),
}
"""Phase state -> (mark, theme colour)."""

SHORT_TITLES: dict[str, str] = {**PHASE_TITLES, "mode": "Mode"}
"""Titles used when the terminal is narrow."""


def teardown_left(session: Session) -> str | None:
    """What the session's latest teardown left, when no run came after it: REMOVED
    (it finished: the session is ``removed``), HALF_REMOVED (it started and did not
    finish, :func:`~kfwizard.engine.steps.teardown.teardown_unfinished`), else None.

    The Verify screen's "Torn down" and "Teardown not finished" are these two rules.
    """
    from kfwizard.engine.steps.teardown import teardown_unfinished

    if session.status == "removed":
        return REMOVED
    return HALF_REMOVED if teardown_unfinished(session) else None


def _teardown_index(journal: list[dict[str, Any]]) -> int | None:
    """Where the latest teardown step is in the journal (None: no teardown in it)."""
    for index in range(len(journal) - 1, -1, -1):
        if wizard_phase(str(journal[index].get("step") or "")) is None:
            return index
    return None


def _cluster_removal(session: Session, left: str | None) -> str | None:
    """How far a teardown got with the session's cluster: REMOVED when it is gone
    (deleted by the teardown, or found gone by it); HALF_REMOVED when an unfinished
    teardown had asked GKE to delete it (GKE carries on without us); else None."""
    from kfwizard.engine.steps.teardown import cluster_deleted, cluster_gone

    if cluster_deleted(session) or cluster_gone(session):
        return REMOVED
    deleting = session.steps.get("delete-cluster")
    if (
        left == HALF_REMOVED
        and deleting is not None
        and deleting.state in ("running", "interrupted", "failed")
        and (session.outputs.get("delete-cluster") or {}).get("operation")
    ):
        return HALF_REMOVED
    return None


def session_phase_states(session: Session) -> dict[str, str]:
    """Each phase's state as things stand, a teardown included (the bar and the picker).

    A teardown leaves the step records as they were, so :func:`phase_states` alone
    keeps saying Install ✓ and Verify ✓ over a deleted install, and Cluster ✓ over a
    deleted cluster. Here a phase the teardown undid reads REMOVED (finished teardown)
    or HALF_REMOVED (unfinished); once a later run has started (Install again, a run
    up to a step) it reads pending until that run records one of its steps again: a
    re-run that fails early must not bring the old ticks back. A phase never started
    stays pending, and Project and Deployment mode are untouched (a teardown neither
    disables services nor forgets the manifests).

    Deployment mode reads pending when its choices changed after the manifests were
    prepared and were not prepared again: what is done there is the earlier choice.
    """
    states = phase_states(session.steps)
    if states["mode"] == "done" and session.mode_changed():
        states["mode"] = "pending"
    since = _teardown_index(session.journal)
    if since is None:
        return states
    left = teardown_left(session)
    undone = {"install": left or "pending", "verify": left or "pending"}
    cluster = _cluster_removal(session, left)
    if cluster is not None:
        undone["cluster"] = cluster if left else "pending"
    redone = {wizard_phase(str(entry.get("step") or "")) for entry in session.journal[since + 1 :]}
    for phase, state in undone.items():
        if phase not in redone and states[phase] != "pending":
            states[phase] = state
    return states


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
    """Phase -> done / failed / interrupted / running / pending / removed / half-removed."""

    def __init__(self, current: str = "project", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(StepIndicator.current, current)

    def update_from(self, session: Session) -> None:
        """Recompute the marks from the session (its steps, and any teardown since)."""
        self.show(session_phase_states(session))

    def show(self, states: dict[str, str]) -> None:
        """Show these marks; the same marks again repaint nothing (a run's screen asks
        at every batch of its log)."""
        if states != self.states:
            self.states = states

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
                style = "$text-muted" if state in ("pending", REMOVED) else ""
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
