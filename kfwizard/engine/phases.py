"""The five wizard steps ("phases") and which engine steps belong to each."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # `kfwizard sessions` imports this module: typing costs ms there
    from typing import Any

PHASES: tuple[str, ...] = ("project", "cluster", "mode", "install", "verify")

PHASE_TITLES: dict[str, str] = {
    "project": "Project",
    "cluster": "Cluster",
    "mode": "Deployment mode",
    "install": "Install",
    "verify": "Verify",
}

# Engine step id -> phase. Steps not listed belong to the phase named by their prefix.
STEP_PHASES: dict[str, str] = {
    "credentials": "project",
    "services": "project",
    "cluster": "cluster",
    "connect": "cluster",
    "manifests": "mode",
    "preflight": "install",
    "apply": "install",
    "rollout": "install",
    "verify": "verify",
}

UNTIL_ALIASES: dict[str, str] = {"deployment": "mode", "mode": "mode", "deployment-mode": "mode"}


def wizard_phase(step_id: str) -> str | None:
    """The wizard step an engine step belongs to, or None for steps outside the five
    (a teardown's ``uninstall``, ``delete-cluster``): those must not mark Install failed."""
    if step_id in STEP_PHASES:
        return STEP_PHASES[step_id]
    prefix = step_id.split(".", 1)[0].split("-", 1)[0]
    return prefix if prefix in PHASES else None


def teardown_was_last(status: object, journal: object) -> bool:
    """The session's latest run was a teardown: it finished (the session is
    ``removed``) or the journal's last entry is a teardown step's (one outside the five
    phases). Takes the saved values, so ``kfwizard sessions`` can read it from the
    file's JSON without building a session."""
    if status == "removed":
        return True
    if not isinstance(journal, list) or not journal or not isinstance(journal[-1], dict):
        return False
    return wizard_phase(str(journal[-1].get("step") or "")) is None


def _state_of(record: object) -> str:
    """A step's state from its record: a ``StepRecord``, its saved dict, or the state."""
    if isinstance(record, str):
        return record
    if isinstance(record, dict):
        return str(record.get("state", "pending"))
    return str(getattr(record, "state", "pending"))


def phase_states(steps: dict[str, Any]) -> dict[str, str]:
    """Each phase's state from the session's step records (step id -> ``StepRecord``,
    its saved dict, or its state).

    A phase is failed or interrupted when any of its steps is; running when one runs;
    done when it has steps and all are done or skipped; otherwise pending. Here, not in
    the step bar's module, so ``kfwizard sessions`` reads it without Textual.
    """
    by_phase: dict[str, list[str]] = {phase: [] for phase in PHASES}
    for step_id, record in steps.items():
        phase = wizard_phase(step_id)
        if phase is not None:
            by_phase[phase].append(_state_of(record))
    result: dict[str, str] = {}
    for phase in PHASES:
        states = by_phase[phase]
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


def resume_phase(steps: dict[str, Any]) -> str:
    """Where a session carries on: the first phase that is not done (Verify at the end).

    The one rule for "which step is this session at": Resume opens this screen, and
    the picker's and ``kfwizard sessions``' Step column name it, so what a list says is
    where Resume takes you. From the step records alone: a torn-down session opens at
    Verify, whose "Install again…" asks before re-creating what the teardown deleted
    (the lists say "Teardown" for it, see :func:`teardown_was_last`).
    """
    states = phase_states(steps)
    for phase in PHASES:
        if states[phase] != "done":
            return phase
    return PHASES[-1]


def resume_phase_after_changes(steps: dict[str, Any], mode_changed: bool) -> str:
    """:func:`resume_phase`, or Deployment mode when its choices changed after the
    manifests were prepared (``mode_changed``, from
    :func:`kfwizard.engine.selection.mode_choices_changed`) and the records say a later
    step: what is done there is the earlier choice. Resume opens it, and the lists name
    it, by this one rule."""
    phase = resume_phase(steps)
    if mode_changed and PHASES.index(phase) > PHASES.index("mode"):
        return "mode"
    return phase


def teardown_halfway(status: object, journal: object) -> bool:
    """A teardown started and did not finish (stopped or failed): it was the latest
    run, and it did not mark the session ``removed``. Takes the saved values, as
    :func:`teardown_was_last` does."""
    return status != "removed" and teardown_was_last(status, journal)


def phase_of_step(step_id: str) -> str:
    return wizard_phase(step_id) or "install"


def normalise_phase(name: str) -> str:
    """Accept ``--until`` spellings; raise ValueError naming the allowed values."""
    key = name.strip().lower()
    key = UNTIL_ALIASES.get(key, key)
    if key not in PHASES:
        raise ValueError(f"must be one of {', '.join(PHASES)}")
    return key


def phase_index(phase: str) -> int:
    return PHASES.index(phase)
