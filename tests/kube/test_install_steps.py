"""The install steps through the real Runner against the emulator: preflight, apply,
rollout, verify; inventory, progress events, idempotent re-runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kfwizard.engine.events import StepDetail, StepFinished, StepProgress
from kfwizard.engine.steps.install import ApplyStep, PreflightStep, RolloutStep
from kfwizard.engine.steps.verify import VerifyStep
from kfwizard.session import SessionStore
from tests.kube.conftest import new_session, run

INSTALL = (PreflightStep, ApplyStep, RolloutStep)


def _finished(events: list[Any]) -> dict[str, StepFinished]:
    return {e.step_id: e for e in events if isinstance(e, StepFinished)}


def _available(emu: Any, namespace: str = "kubeflow") -> set[str]:
    return {name for (ns, name) in emu.available_at if ns == namespace}


@pytest.mark.parametrize(
    ("version", "env"),
    [("2.17.0", "platform-agnostic"), ("1.8.5", "platform-agnostic"), ("1.8.5", "dev")],
)
def test_install_makes_every_critical_deployment_available(
    emu: Any, kubeconfig: Path, store: SessionStore, version: str, env: str
) -> None:
    from kfwizard.manifests import catalog

    session = new_session(store, kubeconfig, version, env)
    result, events = run(session, store, [s() for s in INSTALL])
    assert result.state == "done", (result.cause, result.action)
    critical = catalog.deployment_roles("kfp-standalone", version, env).critical
    assert set(critical) <= _available(emu)
    # every applied object is in the inventory, saved in the session file
    saved = store.load(session.id)
    kinds = {o["kind"] for o in saved.inventory["objects"]}
    assert {"Namespace", "CustomResourceDefinition", "Deployment", "Service"} <= kinds
    assert saved.outputs["apply"]["applied"] == len(saved.inventory["objects"])
    # per-object progress, the live table, the rollout rows
    progress = [e for e in events if isinstance(e, StepProgress) and e.step_id == "apply"]
    assert progress[-1].done == progress[-1].total == saved.outputs["apply"]["applied"]
    assert any("applied " in e.message and "Deployment kubeflow/" in e.message for e in progress)
    tables = [e for e in events if isinstance(e, StepDetail) and e.key == "deployments"]
    assert tables and {"name", "ready", "state", "message"} <= set(tables[-1].value[0])
    rows = {r["name"]: r for r in saved.outputs["rollout"]["deployments"]}
    assert all(rows[name]["state"] == "ready" for name in critical)
    assert emu.controller_errors == []


def test_reapply_applies_nothing_new_and_succeeds(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    session = new_session(store, kubeconfig, "2.17.0")
    result, _ = run(session, store, [s() for s in INSTALL])
    assert result.state == "done"
    before = len(session.inventory["objects"])
    deploy = emu.store.peek(("apps", "deployments"), "kubeflow", "ml-pipeline")
    version_before = deploy["metadata"]["resourceVersion"]
    # a resumed run: every step's check() holds, nothing is applied again
    emu.stats.reset()
    again, events = run(session, store, [s() for s in INSTALL])
    assert again.state == "done"
    notes = {k: v.note for k, v in _finished(events).items()}
    assert notes["apply"] in ("already done", "nothing to do: already in place")
    assert not any(verb == "apply" for verb, _ in emu.stats)
    # forcing the apply again is idempotent: same inventory, nothing changed on the server
    session.steps["apply"].state = "failed"
    session.outputs["apply"].pop("hash")
    forced, _ = run(session, store, [ApplyStep()])
    assert forced.state == "done"
    assert len(session.inventory["objects"]) == before
    deploy = emu.store.peek(("apps", "deployments"), "kubeflow", "ml-pipeline")
    assert deploy["metadata"]["resourceVersion"] == version_before
    managers = {m["manager"] for m in deploy["metadata"]["managedFields"]}
    assert "kfwizard" in managers


def test_a_second_session_installing_over_the_first_is_warned(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    """Two sessions on one cluster: the second took the first one's install over with
    no word, and a teardown of either deletes it for both. Its preflight warns, naming
    the Deployments; the first session's own install, checked again, is no warning."""
    first = new_session(store, kubeconfig, "2.17.0")
    result, _ = run(first, store, [s() for s in INSTALL])
    assert result.state == "done", result.cause
    second = new_session(store, kubeconfig, "2.17.0")
    result, _ = run(second, store, [PreflightStep()])
    assert result.state == "done", "a warning, not a failure"
    checks = {c["name"]: c for c in second.outputs["preflight"]["checks"]}
    found = checks["existing-install"]
    assert found["state"] == "warn"
    assert "already run in namespace kubeflow (" in found["message"]
    assert "this session did not create them" in found["message"]
    assert "a teardown of either session deletes them" in found["message"]
    first.outputs["preflight"]["cluster"] = "checked elsewhere"  # so the step runs again
    result, _ = run(first, store, [PreflightStep()])
    checks = {c["name"]: c for c in first.outputs["preflight"]["checks"]}
    assert checks["existing-install"]["state"] == "pass", checks["existing-install"]
    assert (
        "all this session's own: applying updates them in place"
        in (checks["existing-install"]["message"])
    ), "not 'no earlier install' over the session's own Deployments"


def test_verify_reports_version_and_sdk_line(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    session = new_session(store, kubeconfig, "2.17.0")
    result, events = run(session, store, [*(s() for s in INSTALL), VerifyStep()])
    assert result.state == "done", (result.cause, result.action)
    out = session.outputs["verify"]
    assert out["api"]["tag_name"] == "2.17.0"
    assert out["ui"]["apiServerReady"] is True
    assert out["sdk_line"] == 'pip install "kfp==2.17.0"'
    assert out["public_url"] is None
    assert "no inverse proxy" in out["public_url_note"]
    hints = {h["secret"]: h for h in out["credentials_hint"]}
    assert "kubeflow/mlpipeline-minio-artifact" in hints and "kubeflow/mysql-secret" in hints
    details = [e for e in events if isinstance(e, StepDetail) and e.key == "verify"]
    states = {c["name"]: c["state"] for c in details[-1].value}
    assert states["api"] == "pass" and states["ui"] == "pass" and states["ui-api"] == "pass"


def test_cancel_during_apply_is_resumable(emu: Any, kubeconfig: Path, store: SessionStore) -> None:
    import threading

    session = new_session(store, kubeconfig, "2.17.0")
    cancel = threading.Event()
    seen: list[Any] = []

    def listener(event: Any) -> None:
        seen.append(event)
        if isinstance(event, StepProgress) and event.step_id == "apply" and event.done >= 30:
            cancel.set()

    from kfwizard.engine.runner import Runner

    runner = Runner(
        session, store, [ApplyStep()], emit=listener, cancel=cancel, options={"env": {}}
    )
    result = runner.run()
    runner.resources["kube"].close()
    assert result.state == "interrupted" and result.exit_code == 130
    saved = store.load(session.id)
    assert 30 <= len(saved.inventory["objects"]) < 88
    again, _ = run(saved, store, [ApplyStep(), RolloutStep()])
    assert again.state == "done", again.cause
    assert len(saved.inventory["objects"]) == 88


def test_rollout_timeout_names_what_never_became_ready(
    emu: Any, kubeconfig: Path, store: SessionStore, faults: Any
) -> None:
    from tests.kube.conftest import FAST

    faults.update(never_ready=("ml-pipeline",))
    session = new_session(store, kubeconfig, "2.17.0")
    result, _ = run(
        session, store, [ApplyStep(), RolloutStep()], options={"timeouts": {**FAST, "rollout": 2}}
    )
    assert result.state == "failed" and result.failed_step == "rollout"
    assert result.cause.startswith("Timed out after 2 s.")
    assert "ml-pipeline (the KFP API server) is running but never becomes ready" in result.cause
    assert "readiness probe fails" in result.cause
    assert "kubectl logs -n kubeflow" in (result.action or "")
    rows = {r["name"]: r for r in session.outputs["rollout"]["deployments"]}
    assert rows["ml-pipeline"]["state"] != "ready"
