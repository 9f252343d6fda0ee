"""Teardown from the inventory: nothing left, a blocked namespace named with the exact
patch, a second run that does nothing, and the cluster only when this session made it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kfwizard.engine.events import StepFinished, StepOutput
from kfwizard.engine.steps.install import ApplyStep, RolloutStep
from kfwizard.engine.steps.teardown import (
    DeleteClusterStep,
    build_teardown_plan,
    teardown_unfinished,
)
from kfwizard.kube.teardown import remaining, teardown_preview
from kfwizard.session import SessionStore
from tests.kube.conftest import FAST, clients_for, new_session, run


def _installed(store: SessionStore, kubeconfig: Path) -> Any:
    session = new_session(store, kubeconfig, "2.17.0")
    result, _ = run(session, store, [ApplyStep(), RolloutStep()])
    assert result.state == "done", result.cause
    return session


def test_teardown_removes_every_inventory_object_and_a_second_run_is_a_no_op(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    session = _installed(store, kubeconfig)
    preview = teardown_preview(session)
    assert preview["objects"] == 88 and preview["by_kind"]["Deployment"] == 14
    assert preview["namespaces"] == ["kubeflow"]
    assert {p["name"] for p in preview["pvcs"]} == {"mysql-pv-claim", "seaweedfs-pvc"}
    plan = build_teardown_plan(session, delete_cluster=False)
    assert [s.id for s in plan] == ["uninstall", "wait-namespaces"]
    assert any("kubectl delete" in c for c in plan[0].commands(session))
    result, _ = run(session, store, plan)
    assert result.state == "done", (result.cause, result.action)
    out = session.outputs["uninstall"]
    assert out["deleted"] + out["already_gone"] == 88
    assert {p["name"] for p in out["pvcs"]} == {"mysql-pv-claim", "seaweedfs-pvc"}
    assert all(p["size"] == "20Gi" for p in out["pvcs"])
    clients = clients_for(kubeconfig)
    try:
        assert remaining(clients, session.inventory["objects"]) == []
    finally:
        clients.close()
    assert emu.store.peek(("", "namespaces"), "", "kubeflow") is None
    # again: every check holds, nothing is deleted
    emu.stats.reset()
    session.steps.clear()  # never ran here: as after a kubectl delete, each finds it done
    again, events = run(session, store, build_teardown_plan(session, delete_cluster=False))
    assert again.state == "done"
    assert session.steps["uninstall"].state in ("done", "skipped")
    notes = {e.step_id: e.note for e in events if isinstance(e, StepFinished)}
    assert notes == {
        "uninstall": "nothing to do: already removed",
        "wait-namespaces": "nothing to do: the namespaces are gone",
    }
    assert not any(verb == "delete" for verb, _ in emu.stats)


def test_a_finalizer_that_blocks_the_namespace_is_named_with_the_patch(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    session = _installed(store, kubeconfig)
    assert not teardown_unfinished(session), "installed, no teardown yet"
    clients = clients_for(kubeconfig)
    try:
        cm = clients.resource("v1", "ConfigMap")
        cm.create(
            body={
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "keep-me", "finalizers": ["example.com/keep"]},
            },
            namespace="kubeflow",
        )
        result, _ = run(
            session,
            store,
            build_teardown_plan(session, delete_cluster=False),
            options={"timeouts": {**FAST, "namespaces": 1.5}},
        )
        assert result.state == "failed" and result.failed_step == "wait-namespaces"
        assert "Namespace kubeflow is stuck deleting" in result.cause
        assert "ConfigMap kubeflow/keep-me" in result.cause
        assert "example.com/keep" in result.cause
        patch = "kubectl patch configmaps keep-me -n kubeflow -p "
        assert patch in (result.action or "")
        assert '\'{"metadata":{"finalizers":[]}}\' --type=merge' in (result.action or "")
        # Half removed while the install steps still read done: the wizard must not
        # offer "Verify again" (which would install it all again) as if nothing happened.
        assert session.steps["apply"].state == "done"
        assert teardown_unfinished(store.load(session.id))
        # the user clears the finalizer; the teardown then finishes
        cm.patch(
            name="keep-me",
            namespace="kubeflow",
            body={"metadata": {"finalizers": []}},
            content_type="application/merge-patch+json",
        )
        again, _ = run(session, store, build_teardown_plan(session, delete_cluster=False))
        assert again.state == "done", again.cause
        session.status = "removed"  # as the wizard and `kfwizard teardown` mark it
        assert not teardown_unfinished(session)
        # Installed again: the install steps are the last ones run.
        session.record("apply", "done")
        session.status = "done"
        assert not teardown_unfinished(session)
    finally:
        clients.close()


def test_cluster_not_created_by_the_session_is_not_deleted_without_its_name(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    session = new_session(store, kubeconfig, "2.17.0")
    session.inventory["cluster"] = {
        "project": "kfwizard-demo",
        "location": "us-central1-a",
        "name": "kubeflow-testing",
        "created_by_session": False,
    }
    result, events = run(session, store, [DeleteClusterStep()])
    assert result.state == "done", "kept, not refused: the session's own would still go"
    lines = [line for e in events if isinstance(e, StepOutput) for line in e.lines]
    assert (
        "Kept cluster kubeflow-testing: this session did not create it; confirm its name "
        "(--confirm-name kubeflow-testing, or type it in the teardown dialog) to delete it."
    ) in lines
    assert not session.inventory["cluster"].get("deleted")


def test_delete_cluster_made_by_the_session(store: SessionStore, tmp_path: Path) -> None:
    from kfwizard.emulator.stack import EmulatorStack

    with EmulatorStack(clusters=["kubeflow-testing"]) as stack:
        session = new_session(store, stack.kubeconfig_path, "2.17.0")
        session.inventory["cluster"] = {
            "project": stack.project,
            "location": "us-central1-a",
            "name": "kubeflow-testing",
            "created_by_session": True,
        }
        plan = build_teardown_plan(session, delete_cluster=True)
        assert [s.id for s in plan] == ["delete-cluster"]
        assert "gcloud container clusters delete kubeflow-testing" in plan[0].commands(session)[0]
        result, _ = run(session, store, plan, options={"env": stack.env()})
        assert result.state == "done", (result.cause, result.action)
        from kfwizard.gcp import clusters, endpoints

        client = endpoints.cluster_manager(stack.env())
        assert (
            clusters.get_cluster(client, stack.project, "us-central1-a", "kubeflow-testing") is None
        )
        again, _ = run(
            session,
            store,
            build_teardown_plan(session, delete_cluster=True),
            options={"env": stack.env()},
        )
        assert again.state == "done"


def _session_with_cluster(store: SessionStore, stack: Any) -> Any:
    session = new_session(store, stack.kubeconfig_path, "2.17.0")
    session.inventory["cluster"] = {
        "project": stack.project,
        "location": "us-central1-a",
        "name": "kubeflow-testing",
        "created_by_session": True,
    }
    return session


def _lines(events: list[Any]) -> list[str]:
    from kfwizard.engine.events import StepOutput

    return [line for e in events if isinstance(e, StepOutput) for line in e.lines]


def test_delete_cluster_retries_a_gke_that_answers_429_for_a_while(
    store: SessionStore,
) -> None:
    """Half the GKE calls fail (seed 1: the first read and the first delete among them);
    the teardown retries each, says so, and deletes the cluster."""
    from kfwizard.emulator.faults import Faults
    from kfwizard.emulator.stack import EmulatorStack
    from kfwizard.gcp import clusters, endpoints

    with EmulatorStack(clusters=["kubeflow-testing"], faults=Faults(seed=1)) as stack:
        session = _session_with_cluster(store, stack)
        stack.faults.update(error_rate=0.5, error_codes=(503, 429))
        result, events = run(session, store, [DeleteClusterStep()], options={"env": stack.env()})
        stack.faults.clear()
        assert result.state == "done", (result.cause, result.action)
        lines = _lines(events)
        assert any(line.startswith("reading the cluster: HTTP 429") for line in lines), lines
        assert any(line.startswith("deleting the cluster: HTTP 429") for line in lines), lines
        client = endpoints.cluster_manager(stack.env())
        assert (
            clusters.get_cluster(client, stack.project, "us-central1-a", "kubeflow-testing") is None
        )


def test_delete_cluster_names_a_gke_api_that_stays_down(store: SessionStore) -> None:
    from kfwizard.emulator.faults import Faults
    from kfwizard.emulator.stack import EmulatorStack

    with EmulatorStack(clusters=["kubeflow-testing"], faults=Faults()) as stack:
        session = _session_with_cluster(store, stack)
        stack.faults.update(fail_paths=("/clusters/kubeflow-testing",))
        result, events = run(session, store, [DeleteClusterStep()], options={"env": stack.env()})
        assert result.state == "failed" and result.failed_step == "delete-cluster"
        assert "The GKE API (container.googleapis.com) kept answering HTTP 503" in result.cause
        assert "reading the cluster" in result.cause
        assert sum("retrying" in line for line in _lines(events)) == 5  # 6 attempts in all


def test_a_teardown_waiting_to_retry_gke_stops_at_once_on_cancel(store: SessionStore) -> None:
    """The retry's wait is the step's cancellable sleep: a cancel ends it now, not after
    the backoff (here 30 s)."""
    import threading
    import time

    from kfwizard.emulator.faults import Faults
    from kfwizard.emulator.stack import EmulatorStack
    from kfwizard.engine.events import StepOutput
    from kfwizard.engine.runner import Runner
    from kfwizard.gcp.retries import RetryPolicy

    with EmulatorStack(clusters=["kubeflow-testing"], faults=Faults()) as stack:
        session = _session_with_cluster(store, stack)
        stack.faults.update(fail_paths=("/clusters/kubeflow-testing",), retry_after=30.0)
        cancel = threading.Event()

        def emit(event: Any) -> None:
            if isinstance(event, StepOutput) and any("retrying" in x for x in event.lines):
                cancel.set()

        options = {"env": stack.env(), "retry": RetryPolicy(attempts=5, initial=30, maximum=30)}
        started = time.monotonic()
        result = Runner(
            session, store, [DeleteClusterStep()], emit=emit, cancel=cancel, options=options
        ).run()
        assert result.state == "interrupted" and result.exit_code == 130
        assert time.monotonic() - started < 10
        assert session.steps["delete-cluster"].state == "interrupted"


def test_the_preview_names_the_clusters_the_session_left_behind() -> None:
    """A cluster the session created and then moved away from is billed too: the headless
    preview lists it with the clusters to delete, and says so when they are kept."""
    import io

    from kfwizard.headless import _print_preview
    from kfwizard.session import Session

    session = Session.new(name="two-clusters")
    session.inventory["cluster"] = {
        "project": "p",
        "location": "us-central1-a",
        "name": "kubeflow-two",
        "created_by_session": True,
    }
    session.inventory["earlier_clusters"] = [
        {"project": "p", "location": "europe-west1", "name": "kubeflow-one"},
        {"project": "p", "location": "us-east1", "name": "gone-one", "deleted": True},
    ]
    preview = teardown_preview(session, delete_cluster=True)
    assert preview["cluster_info"]["will_delete"] is True
    assert preview["earlier_clusters"] == [
        "kubeflow-one (europe-west1, project p, created by this session, no longer used)"
    ]
    deleting, keeping = io.StringIO(), io.StringIO()
    _print_preview(preview, True, deleting)
    _print_preview(preview, False, keeping)
    assert deleting.getvalue().splitlines() == [
        "No Kubernetes objects to delete: this session applied none.",
        "Teardown will delete the cluster kubeflow-two (us-central1-a, project p, created by "
        "this session).",
        "And the clusters this session created before it chose another:",
        "  kubeflow-one (europe-west1, project p, created by this session, no longer used)",
    ]
    assert keeping.getvalue().splitlines()[-2] == (
        "Kept: the cluster kubeflow-two (us-central1-a, project p, created by this session), "
        "billed while it runs; --delete-cluster deletes it too."
    )
    assert keeping.getvalue().splitlines()[-1] == (
        "Not deleted without --delete-cluster: 1 earlier cluster this session created "
        "(billed while it runs): kubeflow-one (europe-west1, project p, created by this "
        "session, no longer used)"
    )
    demo = io.StringIO()
    _print_preview(preview, False, demo, demo=True)
    assert "nothing is billed; --delete-cluster deletes it too." in demo.getvalue()
    assert "billed while it runs" not in demo.getvalue()
    session.inventory["cluster"]["created_by_session"] = False  # adopted: named to delete
    adopted = io.StringIO()
    _print_preview(teardown_preview(session), False, adopted)
    assert "; --delete-cluster --confirm-name kubeflow-two deletes it too." in adopted.getvalue()
