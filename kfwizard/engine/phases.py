"""The five wizard steps ("phases") and which engine steps belong to each."""

from __future__ import annotations

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
