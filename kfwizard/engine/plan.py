"""Turn selections into the ordered list of steps to run.

The plan is pure: the same selections always give the same steps, so a resumed run
lines up with the journal of the run it continues.
"""

from __future__ import annotations

from typing import Any

from kfwizard.engine.phases import PHASES, phase_index, phase_of_step
from kfwizard.engine.step import Step


def needs_google(selections: dict[str, Any]) -> bool:
    """A kubeconfig cluster with a mode that uses no Google service needs no project."""
    cluster = selections.get("cluster") or {}
    mode = (selections.get("deployment") or {}).get("mode", "kfp-standalone")
    return cluster.get("source", "create") != "kubeconfig" or mode == "kfp-gcp"


def _steps_of(phase: str, selections: dict[str, Any]) -> list[Step]:
    """The engine steps of one wizard phase, in order.

    Each phase's step module is imported only when a plan reaches that phase: the
    first screen asks for the project phase's commands while it opens, and the later
    phases' modules (cluster, manifests, install, verify) are most of the import cost.
    """
    if phase == "project":
        from kfwizard.engine.steps.project import CredentialsStep, ServicesStep

        return [CredentialsStep(), ServicesStep()]
    if phase == "cluster":
        from kfwizard.engine.steps.cluster import ClusterStep, ConnectStep

        source = (selections.get("cluster") or {}).get("source")
        return [ClusterStep(source), ConnectStep()]
    if phase == "mode":
        from kfwizard.engine.steps.manifests import ManifestsStep

        return [ManifestsStep()]
    if phase == "install":
        from kfwizard.engine.steps.install import ApplyStep, PreflightStep, RolloutStep

        return [PreflightStep(), ApplyStep(), RolloutStep()]
    from kfwizard.engine.steps.verify import VerifyStep

    return [VerifyStep()]


def build_plan(selections: dict[str, Any], until: str | None = None) -> list[Step]:
    """All steps for ``selections``, or those up to and including phase ``until``."""
    limit = len(PHASES) if until is None else phase_index(until)
    phases = [phase for phase in PHASES if phase_index(phase) <= limit]
    if not needs_google(selections):
        phases.remove("project")
    steps = [step for phase in phases for step in _steps_of(phase, selections)]
    return [s for s in steps if phase_index(phase_of_step(s.id)) <= limit]
