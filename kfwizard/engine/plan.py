"""Turn selections into the ordered list of steps to run.

The plan is pure: the same selections always give the same steps, so a resumed run
lines up with the journal of the run it continues.
"""

from __future__ import annotations

from typing import Any

from kfwizard.engine.phases import phase_index, phase_of_step
from kfwizard.engine.step import Step


def needs_google(selections: dict[str, Any]) -> bool:
    """A kubeconfig cluster with a mode that uses no Google service needs no project."""
    cluster = selections.get("cluster") or {}
    mode = (selections.get("deployment") or {}).get("mode", "kfp-standalone")
    return cluster.get("source", "create") != "kubeconfig" or mode == "kfp-gcp"


def build_plan(selections: dict[str, Any], until: str | None = None) -> list[Step]:
    """All steps for ``selections``, or those up to and including phase ``until``."""
    from kfwizard.engine.steps.cluster import ClusterStep, ConnectStep
    from kfwizard.engine.steps.install import ApplyStep, PreflightStep, RolloutStep
    from kfwizard.engine.steps.manifests import ManifestsStep
    from kfwizard.engine.steps.project import CredentialsStep, ServicesStep
    from kfwizard.engine.steps.verify import VerifyStep

    steps: list[Step] = []
    if needs_google(selections):
        steps += [CredentialsStep(), ServicesStep()]
    steps += [
        ClusterStep(),
        ConnectStep(),
        ManifestsStep(),
        PreflightStep(),
        ApplyStep(),
        RolloutStep(),
        VerifyStep(),
    ]
    if until is None:
        return steps
    limit = phase_index(until)
    return [s for s in steps if phase_index(phase_of_step(s.id)) <= limit]
