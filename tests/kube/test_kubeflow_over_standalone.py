"""The full platform installed over this session's standalone KFP on one cluster, then
verified: what each step says must be true of the platform, not of standalone KFP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kfwizard.engine.events import StepOutput
from kfwizard.engine.steps.install import ApplyStep, PreflightStep, RolloutStep
from kfwizard.engine.steps.verify import VerifyStep
from kfwizard.session import SessionStore
from tests.kube.conftest import (
    FAST,
    emulator,
    manifests_outputs,
    new_session,
    run,
    write_kubeconfig,
)


def _lines(events: list[Any], step: str) -> list[str]:
    return [
        line for e in events if isinstance(e, StepOutput) and e.step_id == step for line in e.lines
    ]


def test_kubeflow_over_standalone_takes_it_over_and_is_opened_through_the_gateway(
    faults: Any, tmp_path: Path, store: SessionStore
) -> None:
    server = emulator(faults, machine="e2-standard-8", count=3)
    server.start()
    try:
        kubeconfig = write_kubeconfig(server, tmp_path)
        session = new_session(store, kubeconfig, "2.17.0")
        result, _ = run(session, store, [PreflightStep(), ApplyStep(), RolloutStep()])
        assert result.state == "done", (result.cause, result.action)

        # The Mode step's switch to the full platform, same cluster, same session.
        session.outputs["manifests"] = manifests_outputs("26.03", "example", "kubeflow")
        session.selections["deployment"] = {
            "mode": "kubeflow",
            "version": "26.03",
            "env": "example",
        }
        for step in ("preflight", "apply", "rollout", "verify"):
            session.steps.pop(step, None)
        store.save(session)
        result, events = run(
            session,
            store,
            [PreflightStep(), ApplyStep(), RolloutStep(), VerifyStep()],
            options={"timeouts": {**FAST, "rollout": 120, "verify": 20}},
        )
        assert result.state == "done", (result.cause, result.action)
    finally:
        server.stop()

    checks = {c["name"]: c for c in session.outputs["preflight"]["checks"]}
    # 26.03 is the Kubeflow release; the KFP inside is 2.16.0 (the catalog's).
    assert "supports Kubeflow 26.03 (KFP 2.16.0)" in checks["server-version"]["message"]
    existing = checks["existing-install"]
    assert existing["state"] == "warn", existing
    assert (
        "earlier kfp-standalone install on this cluster has 13 of its 14 Deployments"
        in (existing["message"])
    )
    assert "installing takes them over" in existing["message"]
    assert "only 1 other Deployment of it stays beside this one" in existing["message"]

    [took] = [line for line in _lines(events, "apply") if "took over" in line]
    assert took.startswith("This kubeflow install took over 13 of the 14 Deployments")
    assert "Deployment kubeflow/cache-deployer-deployment" in took  # the one left beside
    assert not any("is left in place beside" in line for line in _lines(events, "apply"))

    verify = session.outputs["verify"]
    gateway = "kubectl port-forward svc/istio-ingressgateway -n istio-system 8080:80"
    [public] = [c for c in verify["checks"] if c["name"] == "public-url"]
    assert public["message"] == (
        "No public URL: the full platform has no inverse proxy. Reach it through the Istio "
        f'gateway instead ("{gateway}"), then log in at http://localhost:8080 as '
        "user@example.com."
    )
    said = " ".join([*verify["next_steps"], *(c["message"] for c in verify["checks"])])
    assert "svc/ml-pipeline-ui" not in said  # it skips the login multi-user KFP needs
    assert 'kfp.Client(host="http://localhost:8080")' not in said
    [open_line] = [s for s in verify["next_steps"] if s.startswith("Open the Kubeflow dashboard")]
    assert gateway in open_line and "user@example.com, password 12341234" in open_line
    assert "change that default password" in open_line
    [credentials] = [c for c in verify["checks"] if c["name"] == "credentials"]
    assert "user@example.com" in credentials["message"]
    assert "Secret auth/dex-passwords" in credentials["message"]
    assert verify["credentials_hint"][0]["secret"] == "auth/dex-passwords"
    assert gateway in VerifyStep().commands(session)
