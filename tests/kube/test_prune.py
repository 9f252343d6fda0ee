"""New manifests over earlier ones on the same cluster: what only the earlier set had is
removed, except data and definitions, and nothing on another cluster is touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kfwizard.engine.events import StepOutput
from kfwizard.engine.steps.install import ApplyStep
from kfwizard.kube.prune import applied_by_kfwizard, stale_refs
from kfwizard.session import SessionStore
from tests.kube.conftest import manifests_outputs, new_session, run

DEV_ONLY = {
    ("Deployment", "proxy-agent"),
    ("Deployment", "controller-manager"),
    ("ConfigMap", "inverse-proxy-config"),
    ("Application", "pipeline"),
    ("Service", "controller-manager-service"),
}


def _switch(session: Any, store: SessionStore, env: str) -> None:
    """What the Mode step leaves after the user picks another env."""
    session.outputs["manifests"] = manifests_outputs("2.17.0", env)
    session.selections["deployment"]["env"] = env
    store.save(session)


def _apply(session: Any, store: SessionStore) -> list[str]:
    result, events = run(session, store, [ApplyStep()])
    assert result.state == "done", (result.cause, result.action)
    return [line for e in events if isinstance(e, StepOutput) for line in e.lines]


def _exists(emu: Any, kind: str, name: str) -> bool:
    plural = {
        "Deployment": ("apps", "deployments"),
        "ConfigMap": ("", "configmaps"),
        "Application": ("app.k8s.io", "applications"),
        "Service": ("", "services"),
        "PersistentVolumeClaim": ("", "persistentvolumeclaims"),
        "Secret": ("", "secrets"),
    }[kind]
    return emu.store.peek(plural, "kubeflow", name) is not None


def _inventoried(session: Any) -> set[tuple[str, str]]:
    return {(r["kind"], r["name"]) for r in session.inventory_objects()}


def test_env_dev_then_platform_agnostic_removes_the_proxy_agent_and_its_kin(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    session = new_session(store, kubeconfig, "2.17.0", env="dev")
    _apply(session, store)
    assert all(_exists(emu, kind, name) for kind, name in DEV_ONLY)

    _switch(session, store, "platform-agnostic")
    lines = _apply(session, store)
    assert not any(_exists(emu, kind, name) for kind, name in DEV_ONLY)
    assert not DEV_ONLY & _inventoried(session)
    [said] = [line for line in lines if line.startswith("Removed ")]
    assert said.startswith("Removed 11 objects that the earlier manifests created")
    assert len(session.outputs["apply"]["pruned"]) == 11
    assert _exists(emu, "Deployment", "ml-pipeline")  # the shared objects stay

    # The same manifests again: nothing is stale, nothing is deleted.
    emu.stats.reset()
    session.steps["apply"].state = "pending"
    session.outputs["apply"].pop("hash")
    again = _apply(session, store)
    assert not any(line.startswith("Removed ") for line in again)
    assert not any(verb == "delete" for verb, _ in emu.stats)


def test_data_stays_when_the_database_changes(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    """MySQL to PostgreSQL: MySQL's Deployment, Service, Secret and account go; its volume,
    with the pipelines' metadata in it, is kept and named (a teardown removes it)."""
    session = new_session(store, kubeconfig, "2.17.0")
    _apply(session, store)
    _switch(session, store, "platform-agnostic-postgresql")
    lines = _apply(session, store)
    assert not _exists(emu, "Deployment", "mysql") and not _exists(emu, "Secret", "mysql-secret")
    assert _exists(emu, "PersistentVolumeClaim", "mysql-pv-claim")
    assert ("PersistentVolumeClaim", "mysql-pv-claim") in _inventoried(session)
    [kept] = [line for line in lines if line.startswith("Kept ")]
    assert "PersistentVolumeClaim kubeflow/mysql-pv-claim" in kept


def test_nothing_is_pruned_when_the_earlier_apply_went_to_another_cluster(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    """Same names on another cluster may be someone else's: only a cluster this apply
    step used before is pruned."""
    session = new_session(store, kubeconfig, "2.17.0", env="dev")
    _apply(session, store)
    session.outputs["apply"]["target"] = "gke_other-project_europe-west1_their-cluster"
    _switch(session, store, "platform-agnostic")
    lines = _apply(session, store)
    assert all(_exists(emu, kind, name) for kind, name in DEV_ONLY)
    assert not any(line.startswith("Removed ") for line in lines)


def test_another_mode_is_not_a_replacement_and_prunes_nothing(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    """Full Kubeflow then KFP standalone on one cluster: removing the platform's other
    parts is a teardown's job, not a side effect of installing KFP."""
    session = new_session(store, kubeconfig, "2.17.0", env="dev")
    _apply(session, store)
    session.outputs["apply"]["mode"] = "kubeflow"  # as if the earlier install was the platform
    _switch(session, store, "platform-agnostic")
    lines = _apply(session, store)
    assert all(_exists(emu, kind, name) for kind, name in DEV_ONLY)
    # What both sets have is taken over; only the rest is left beside (named).
    [said] = [line for line in lines if line.startswith("This kfp-standalone install took over")]
    assert "of the earlier kubeflow install on this cluster" in said
    assert "Left in place beside it: 11 objects" in said, said
    assert "took over 14 of the 16 Deployments (88 of the 99 objects)" in said


def test_stale_refs_match_by_kind_namespace_and_name() -> None:
    inventory = [
        {
            "apiVersion": "policy/v1beta1",
            "kind": "PodDisruptionBudget",
            "namespace": "k",
            "name": "a",
        },
        {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "k"},
        {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "k", "name": "old"},
        {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "default", "name": "defaulted"},
    ]
    current = [
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "namespace": "k", "name": "a"},
        {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "k"},
        {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "", "name": "defaulted"},
    ]
    assert [r["name"] for r in stale_refs(inventory, current)] == ["old"]


def test_only_objects_kfwizard_applied_count_as_its_own() -> None:
    ours = {"metadata": {"managedFields": [{"manager": "kfwizard", "operation": "Apply"}]}}
    theirs = {"metadata": {"managedFields": [{"manager": "kubectl", "operation": "Apply"}]}}
    assert applied_by_kfwizard(ours) and not applied_by_kfwizard(theirs)
    assert not applied_by_kfwizard({"metadata": {}})
