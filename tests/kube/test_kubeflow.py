"""The full Kubeflow platform (26.03 ``example``, 675 objects) installs tier by tier with
every Deployment, StatefulSet and DaemonSet ready."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from kfwizard.engine.events import StepProgress
from kfwizard.engine.steps.install import ApplyStep, PreflightStep, RolloutStep
from kfwizard.engine.steps.verify import VerifyStep
from kfwizard.session import SessionStore
from tests.kube.conftest import FAST, emulator, load_set, new_session, run, write_kubeconfig


@pytest.mark.slow
def test_full_platform_installs_tier_by_tier(
    faults: Any, tmp_path: Path, store: SessionStore, fixtures_root: Path
) -> None:
    mset = load_set("26.03", "example", "kubeflow")
    assert len(mset.objects) == 675
    server = emulator(faults, machine="e2-standard-8", count=3)
    server.start()
    try:
        kubeconfig = write_kubeconfig(server, tmp_path)
        session = new_session(store, kubeconfig, "26.03", "example", mode="kubeflow")
        started = time.monotonic()
        result, events = run(
            session,
            store,
            [PreflightStep(), ApplyStep(), RolloutStep(), VerifyStep()],
            options={"timeouts": {**FAST, "rollout": 120, "verify": 20}},
        )
        seconds = time.monotonic() - started
        assert result.state == "done", (result.cause, result.action)
        assert session.outputs["apply"]["applied"] == 675
        tiers = [t["name"] for t in session.outputs["apply"]["tiers"]]
        assert tiers == [t.name for t in mset.tiers]
        rows = session.outputs["rollout"]["deployments"]
        kinds = {r["kind"] for r in rows}
        assert {"Deployment", "StatefulSet", "DaemonSet"} <= kinds
        assert len(rows) == 51
        assert all(r["state"] == "ready" for r in rows), [r for r in rows if r["state"] != "ready"]
        # one LIST and one WATCH per kind for the final wait
        requests = session.outputs["rollout"]["requests"]
        assert requests["lists"] <= 4 and requests["watches"] <= 4
        # progress counted over all tiers, per object
        progress = [e for e in events if isinstance(e, StepProgress) and e.step_id == "apply"]
        assert progress[-1].done == 675 == progress[-1].total
        assert session.outputs["verify"]["api"]["tag_name"] == "2.16.0"
        assert server.controller_errors == []
        assert seconds < 120
    finally:
        server.stop()
