"""The ``manifests`` step through the real Runner and a SessionStore: a plan on success,
exit 2 and nothing recorded on a refusal, a skip when the rendered files still match."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kfwizard import paths
from kfwizard.engine.events import Event, StepDetail, StepFinished
from kfwizard.engine.runner import Runner
from kfwizard.engine.steps.manifests import ManifestsStep
from kfwizard.manifests import load_rendered
from kfwizard.manifests.demo import demo_manifests_dir
from kfwizard.session import Session, SessionStore

from .conftest import KFP, need_fixtures

OUTPUT_KEYS = {
    "mode",
    "version",
    "env",
    "source",
    "rendered_dir",
    "files",
    "counts",
    "crds",
    "tiers",
    "requests",
    "has_pvcs",
}


def session_for(deployment: dict[str, Any], **outputs: dict[str, Any]) -> Session:
    session = Session.new(
        "test", {"name": "test", "project": "demo-project", "deployment": deployment}
    )
    session.outputs.update(outputs)
    return session


def run(session: Session, tmp_path: Path) -> tuple[Any, list[Event], SessionStore]:
    store = SessionStore(tmp_path / "sessions")
    events: list[Event] = []
    result = Runner(
        session, store, [ManifestsStep()], emit=events.append, options={"env": {}}
    ).run()
    return result, events, store


def demo_deployment(env: str = "platform-agnostic") -> dict[str, Any]:
    return {
        "mode": "kfp-standalone",
        "version": "2.17.0",
        "env": env,
        "manifests": str(demo_manifests_dir()),
    }


def test_plan_from_demo_manifests(tmp_path: Path) -> None:
    session = session_for(
        demo_deployment("dev"),
        connect={"server_version": "v1.33.5-gke.1080000", "source": "gke"},
        cluster={"autopilot": False, "endpoint": "1.2.3.4"},
    )
    result, events, store = run(session, tmp_path)
    assert (result.state, result.exit_code) == ("done", 0)
    saved = store.load(session.id)
    out = saved.outputs["manifests"]
    assert set(out) >= OUTPUT_KEYS
    assert (out["mode"], out["version"], out["env"]) == ("kfp-standalone", "2.17.0", "dev")
    assert Path(out["rendered_dir"]).parent == paths.cache_dir() / "rendered"
    assert all(Path(f).is_file() for f in out["files"])
    assert [t["name"] for t in out["tiers"]] == [
        "namespaces-and-crds",
        "cluster-scoped",
        "namespaced",
        "custom-resources",
    ]
    assert out["counts"]["Deployment"] == 15 and out["has_pvcs"] is True
    by_tier = [t["kinds"] for t in out["tiers"]]  # a resumed plan lists kinds too
    assert sum(kinds.get("Deployment", 0) for kinds in by_tier) == 15
    assert sum(t["objects"] for t in out["tiers"]) == sum(out["counts"].values())
    assert "applications.app.k8s.io" in out["crds"]
    assert "proxy-agent" in out["warn_only_deployments"]
    assert out["sdk_line"] == 'pip install "kfp==2.17.0"'
    assert [(t["name"], t["state"]) for t in out["tools"]] == [("kustomize", "pass")]
    assert out["external_kinds"] == [] and out["secret_inputs"] == []
    json.dumps(saved.outputs)  # JSON-able
    details = {e.key: e.value for e in events if isinstance(e, StepDetail)}
    assert details["plan"]["objects"] == sum(out["counts"].values())
    json.dumps(details["plan"])
    assert "proxy-blocked-psa" in [a["rule"] for a in details["advisories"]]
    assert saved.inventory.get("objects", []) == []
    again = load_rendered(out)
    assert len(again.objects) == details["plan"]["objects"]


def test_second_run_skips_when_files_match(tmp_path: Path) -> None:
    session = session_for(demo_deployment())
    run(session, tmp_path)
    files = session.outputs["manifests"]["files"]
    stamp = Path(files[0]).stat().st_mtime_ns
    result, events, _ = run(session, tmp_path)
    finished = [e for e in events if isinstance(e, StepFinished)]
    assert result.exit_code == 0 and finished[-1].note == "already done"
    assert Path(files[0]).stat().st_mtime_ns == stamp
    step = ManifestsStep()
    Path(files[1]).write_text(Path(files[1]).read_text() + "# changed\n")
    session.record("manifests", "failed")  # so the runner asks check() again
    result, events, _ = run(session, tmp_path)
    assert result.exit_code == 0
    assert [e.note for e in events if isinstance(e, StepFinished)] == [None]
    assert step.id == "manifests"


def test_changed_selection_reruns(tmp_path: Path) -> None:
    session = session_for(demo_deployment())
    run(session, tmp_path)
    first = session.outputs["manifests"]["rendered_dir"]
    session.selections["deployment"]["env"] = "dev"
    session.record("manifests", "failed")
    run(session, tmp_path)
    assert session.outputs["manifests"]["rendered_dir"] != first
    assert session.outputs["manifests"]["env"] == "dev"


def test_refusal_exits_2_and_records_nothing(tmp_path: Path) -> None:
    session = session_for(
        {"mode": "kfp-standalone", "version": "1.6.0", "env": "platform-agnostic"},
        connect={"server_version": "v1.33.5-gke.1080000"},
    )
    result, events, store = run(session, tmp_path)
    assert (result.state, result.exit_code, result.failed_step) == ("failed", 2, "manifests")
    assert "crd-v1beta1" in (result.cause or "") and "1.8.5" in (result.action or "")
    saved = store.load(session.id)
    assert saved.inventory.get("objects", []) == [] and not saved.outputs.get("manifests")
    assert saved.steps["manifests"].state == "failed"
    assert not (paths.cache_dir() / "rendered").exists()
    assert not (paths.cache_dir() / "archives").exists()  # nothing was downloaded either
    details = {e.key: e.value for e in events if isinstance(e, StepDetail)}
    assert details["refusals"][0]["rule"] == "crd-v1beta1"


def test_kubeflow_on_autopilot_is_refused(tmp_path: Path) -> None:
    session = session_for({"mode": "kubeflow", "version": "26.03"}, cluster={"autopilot": True})
    result, _, _ = run(session, tmp_path)
    assert result.exit_code == 2 and "kubeflow-autopilot" in (result.cause or "")


def test_master_images_in_local_manifests_exit_2(tmp_path: Path) -> None:
    need_fixtures()
    session = session_for(
        {
            "mode": "kfp-standalone",
            "version": "2.17.0",
            "env": "dev",
            "manifests": str(KFP / "2.17.0"),
        }
    )
    result, _, _ = run(session, tmp_path)
    assert result.exit_code == 2 and "dev-master-images" in (result.cause or "")


def test_kfp_gcp_bad_input_exit_2(tmp_path: Path) -> None:
    session = session_for(
        {
            "mode": "kfp-gcp",
            "version": "2.14.4",
            "gcp": {"bucket": None, "cloudsql_instance": None, "db_user": "root"},
        }
    )
    result, _, _ = run(session, tmp_path)
    assert result.exit_code == 2 and "deployment.gcp.bucket" in (result.cause or "")


@pytest.mark.parametrize(
    ("deployment", "expected"),
    [
        (
            {"mode": "kfp-standalone", "version": "2.17.0", "env": "platform-agnostic"},
            [
                "curl -L https://github.com/kubeflow/pipelines/archive/refs/tags/2.17.0.tar.gz"
                " | tar xz",
                "kubectl kustomize pipelines-2.17.0/manifests/kustomize/cluster-scoped-resources"
                " > 00-cluster-scoped-resources.yaml",
                "kubectl kustomize pipelines-2.17.0/manifests/kustomize/env/platform-agnostic"
                " > 01-env-platform-agnostic.yaml",
            ],
        ),
        (
            {"mode": "kubeflow", "version": "26.03"},
            [
                "curl -L https://github.com/kubeflow/manifests/archive/refs/tags/26.03.tar.gz"
                " | tar xz",
                "kubectl kustomize manifests-26.03/example > 00-example.yaml",
            ],
        ),
    ],
)
def test_commands_show_the_manual_equivalent(
    deployment: dict[str, Any], expected: list[str]
) -> None:
    assert ManifestsStep().commands(session_for(deployment)) == expected


def test_commands_for_local_sources() -> None:
    rendered = session_for(demo_deployment())
    assert ManifestsStep().commands(rendered) == [f"ls {demo_manifests_dir()}"]
    need_fixtures()
    tree = str(KFP.parent / "kfp-kustomize" / "1.8.5")
    lines = ManifestsStep().commands(
        session_for({"mode": "kfp-standalone", "version": "1.8.5", "env": "dev", "manifests": tree})
    )
    root = f"{tree}/manifests/kustomize"
    assert lines == [
        f"kubectl kustomize {root}/cluster-scoped-resources > 00-cluster-scoped-resources.yaml",
        f"kubectl kustomize {root}/env/dev > 01-env-dev.yaml",
    ]


@pytest.mark.parametrize(
    ("missing", "workloads", "text"),
    [
        (0, 14, " (every workload declares requests)"),
        (0, 1, " (the workload declares requests)"),
        (1, 14, " (1 of 14 workloads declares none, so real use is higher)"),
        (3, 14, " (3 of 14 workloads declare none, so real use is higher)"),
        (0, 0, ""),
    ],
)
def test_requests_line_says_how_far_the_sums_go(missing: int, workloads: int, text: str) -> None:
    from kfwizard.engine.steps.manifests import _coverage

    assert _coverage(missing, workloads) == text
