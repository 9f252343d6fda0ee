"""Verify: the API server's own health through the service proxy, the UI, the public URL
(or why there is none), and a failure that names the API server with its log lines."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kfwizard.engine.events import StepFinished
from kfwizard.engine.steps.install import ApplyStep, PreflightStep, RolloutStep
from kfwizard.engine.steps.verify import VerifyStep
from kfwizard.session import SessionStore
from tests.kube.conftest import FAST, new_session, run

INSTALL = (PreflightStep, ApplyStep, RolloutStep)


def _install(store: SessionStore, kubeconfig: Path, version: str, env: str) -> Any:
    session = new_session(store, kubeconfig, version, env)
    result, _ = run(session, store, [s() for s in INSTALL])
    assert result.state == "done", (result.cause, result.action)
    return session


def test_crash_looping_api_server_fails_verify_with_its_log_lines(
    emu: Any, kubeconfig: Path, store: SessionStore, faults: Any
) -> None:
    session = _install(store, kubeconfig, "2.17.0", "platform-agnostic")
    faults.update(crashloop=("ml-pipeline",))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the running pod crashes on its next cycle
        pods = emu.store.items(("", "pods"), "kubeflow")
        api = [
            p
            for p in pods
            if p["metadata"]["name"].startswith("ml-pipeline-")
            and p["metadata"]["labels"].get("app") == "ml-pipeline"
        ]
        if api and any(
            int(c.get("restartCount") or 0) > 0
            for c in (api[0].get("status") or {}).get("containerStatuses") or []
        ):
            break
        time.sleep(0.05)
    result, events = run(
        session, store, [VerifyStep()], options={"timeouts": {**FAST, "verify": 2}}
    )
    assert result.state == "failed" and result.failed_step == "verify"
    assert result.cause.startswith("The KFP API server (ml-pipeline) does not answer")
    assert "keeps crashing" in result.cause
    assert "Failed to connect to MySQL" in result.cause
    finished = [e for e in events if isinstance(e, StepFinished) and e.state == "failed"]
    assert any("log: " in line for line in finished[-1].details)


def test_dev_env_on_gke_shows_the_public_url(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    session = _install(store, kubeconfig, "1.8.5", "dev")
    result, _ = run(session, store, [VerifyStep()])
    assert result.state == "done", result.cause
    out = session.outputs["verify"]
    assert out["public_url"].startswith("https://")
    assert out["public_url"].endswith("googleusercontent.com")
    assert out["api"]["tag_name"] == "1.8.5"
    assert out["sdk_line"] == 'pip install "kfp==1.8.22"'
    assert any(out["public_url"] in step for step in out["next_steps"])


def test_dev_env_on_2_17_has_no_public_url_and_says_why(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    """2.17.0's env/dev: proxy-agent is blocked by Pod Security, so no Hostname comes; that
    is explained and not fatal. (Its :master images are a separate, named failure, skipped
    here by name; see ``test_version_mismatch_is_a_named_failure``.)"""
    import time

    session = _install(store, kubeconfig, "2.17.0", "dev")
    assert any("proxy-agent" in w for w in session.outputs["rollout"].get("warnings", []))
    started = time.monotonic()
    result, _ = run(
        session,
        store,
        [VerifyStep()],
        options={
            # A long wait: verify must see that proxy-agent cannot run and stop waiting.
            "timeouts": {**FAST, "public_url": 120},
            "skip_checks": {"api-version": "env/dev runs :master images"},
        },
    )
    assert result.state == "done", result.cause
    waited = time.monotonic() - started
    assert waited < 60, "verify waited out the timeout for a URL that cannot come"
    out = session.outputs["verify"]
    assert out["public_url"] is None
    note = out["public_url_note"]
    assert "Pod Security" in note and "hostNetwork" in note
    checks = {c["name"]: c for c in out["checks"]}
    assert checks["public-url"]["state"] == "warn"
    assert "port-forward" in checks["public-url"]["message"]
    assert checks["api-version"]["state"] == "skipped"


def test_env_without_inverse_proxy_says_so(emu: Any, kubeconfig: Path, store: SessionStore) -> None:
    session = _install(store, kubeconfig, "1.8.5", "platform-agnostic")
    result, _ = run(session, store, [VerifyStep()])
    assert result.state == "done", result.cause
    out = session.outputs["verify"]
    assert out["public_url"] is None
    assert "has no inverse proxy" in out["public_url_note"]
    assert {c["name"]: c["state"] for c in out["checks"]}["api-version"] == "pass"


def test_version_mismatch_is_a_named_failure() -> None:
    from kfwizard.kube.verify import check_api_version

    master = check_api_version({"tag_name": "master"}, "2.17.0")
    assert master.state == "fail"
    assert "instead of 2.17.0" in master.message and ":master" in master.message
    old = check_api_version({"tag_name": "2.3.0"}, "2.17.0")
    assert old.state == "fail" and "older install" in old.message
    assert check_api_version({"tag_name": "v2.17.0"}, "2.17.0").state == "pass"
    assert check_api_version({"tag_name": "unknown"}, "2.17.0").state == "warn"
