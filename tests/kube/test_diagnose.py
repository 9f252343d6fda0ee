"""Each stuck install the emulator can produce is explained in one sentence with the fix:
small nodes (P3), an image that can't be pulled (P5), a crash-loop with its last log
lines (P11), no default StorageClass (P4)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kfwizard.engine.steps.install import ApplyStep, RolloutStep
from kfwizard.kube.diagnose import collect, diagnose
from kfwizard.session import SessionStore
from tests.kube.conftest import (
    connect_through_gke,
    emulator,
    new_session,
    run,
    write_kubeconfig,
)

ROLLOUT_FAST = {"stuck": 1.0, "rollout": 30.0}


def _install(
    store: SessionStore, kubeconfig: Path, version: str = "2.17.0", gke: Any = None
) -> tuple[Any, Any]:
    """Apply and wait; with ``gke`` (the emulator), connected as the cluster step does for
    a GKE cluster (endpoint and CA), not through the kubeconfig context."""
    import os

    session = new_session(store, kubeconfig, version)
    if gke is not None:
        connect_through_gke(session, gke)
    result, _events = run(
        session,
        store,
        [ApplyStep(), RolloutStep()],
        options={"timeouts": {**_timeouts(), **ROLLOUT_FAST}, "env": dict(os.environ)},
    )
    return session, result


def _timeouts() -> dict[str, float]:
    from tests.kube.conftest import FAST

    return dict(FAST)


def test_small_nodes_name_the_missing_cpu_and_memory_and_the_resize_command(
    faults: Any, tmp_path: Path, store: SessionStore, fixtures_root: Path
) -> None:
    server = emulator(faults, machine="e2-small", count=1)
    server.start()
    try:
        session, result = _install(store, write_kubeconfig(server, tmp_path), gke=server)
    finally:
        server.stop()
    assert result.state == "failed" and result.failed_step == "rollout"
    assert "can't be scheduled: it needs" in result.cause
    # "...; the largest free space on a node is 50m CPU." or "...; no node has any CPU left."
    assert re.search(
        r"the largest free space on a node is \d|no node has any (CPU|memory)", result.cause
    )
    action = result.action or ""
    assert "gcloud container clusters resize kubeflow-testing --node-pool default-pool" in action
    assert "--num-nodes " in action and "--zone us-central1-a" in action
    assert 'add nodes with "gcloud container clusters resize ' in action and "`" not in action
    first = session.outputs["rollout"]["diagnoses"][0]
    assert first["problem"] == "can't be scheduled"
    assert any(line.startswith("node ") and "free" in line for line in first["evidence"])


def test_small_nodes_of_a_kubeconfig_cluster_get_no_gcloud_command(
    faults: Any, tmp_path: Path, store: SessionStore
) -> None:
    """The same shortfall through a kubeconfig context, whose name is not a GKE cluster's:
    the fix says what to grow, with no gcloud command naming the context."""
    server = emulator(faults, machine="e2-small", count=1)
    server.start()
    try:
        _session, result = _install(store, write_kubeconfig(server, tmp_path))
    finally:
        server.stop()
    assert result.state == "failed" and result.failed_step == "rollout", result.cause
    action = result.action or ""
    assert "add nodes to your cluster" in action, action
    assert "gcloud container" not in action and "kubeflow-testing" not in action


def test_image_that_cannot_be_pulled(
    emu: Any, kubeconfig: Path, store: SessionStore, faults: Any
) -> None:
    faults.update(image_pull=("ml-pipeline-ui",))
    session, result = _install(store, kubeconfig)
    assert result.state == "failed"
    assert "ml-pipeline-ui (the KFP UI) can't start" in result.cause
    assert "does not exist in the registry" in result.cause
    assert "ghcr.io/kubeflow/kfp-frontend:2.17.0" in result.cause
    first = session.outputs["rollout"]["diagnoses"][0]
    assert first["problem"] == "image can't be pulled (image gone)"
    assert any("not found" in line for line in first["evidence"])


def test_crash_loop_shows_the_last_log_lines(
    emu: Any, kubeconfig: Path, store: SessionStore, faults: Any
) -> None:
    faults.update(crashloop=("ml-pipeline",))
    session, result = _install(store, kubeconfig)
    assert result.state == "failed"
    assert "ml-pipeline (the KFP API server) keeps crashing" in result.cause
    assert "Failed to connect to MySQL" in result.cause
    assert "-l app=mysql" in result.action and "Cloud SQL" not in result.action  # no proxy here
    first = session.outputs["rollout"]["diagnoses"][0]
    assert any(line.startswith("log: ") for line in first["evidence"])
    step = store.load(session.id).steps["rollout"]
    assert step.state == "failed" and step.cause == result.cause


def _wait_until_no_default_storageclass(kubeconfig: Path, timeout: float = 10.0) -> None:
    """The emulator's controllers apply a fault change on their next pass, as a cluster
    admin's edit would land: a PVC applied before that still gets the default class (on
    a busy CI machine the install raced it and succeeded). Wait as kubectl would show it."""
    import time

    from kubernetes import client

    from kfwizard.gcp.kube_access import api_client_for_context
    from tests.kube.conftest import CONTEXT

    api = client.StorageV1Api(api_client_for_context(str(kubeconfig), CONTEXT))
    marker = "storageclass.kubernetes.io/is-default-class"
    deadline = time.monotonic() + timeout
    while True:
        classes = api.list_storage_class().items
        if not any((c.metadata.annotations or {}).get(marker) == "true" for c in classes):
            return
        assert time.monotonic() < deadline, "the default StorageClass did not go away"
        time.sleep(0.02)


def test_no_default_storageclass_names_the_pvc_and_the_patch(
    emu: Any, kubeconfig: Path, store: SessionStore, faults: Any
) -> None:
    faults.update(no_default_storageclass=True)
    _wait_until_no_default_storageclass(kubeconfig)
    _session, result = _install(store, kubeconfig)
    assert result.state == "failed"
    assert (
        result.cause.startswith("PVC mysql-pv-claim (20Gi) stays Pending")
        or "stays Pending because it names no StorageClass" in result.cause
    )
    assert "kubectl patch storageclass standard-rwo" in (result.action or "")
    assert "storageclass.kubernetes.io/is-default-class" in (result.action or "")


def test_crash_loop_while_mysql_starts_is_called_normal(
    emu: Any, clients: Any, faults: Any
) -> None:
    """Within the grace period and with MySQL not ready, a DB-dependent crash is "info"."""
    from kfwizard.kube.apply import apply_tiers
    from tests.kube.conftest import load_set

    faults.update(crashloop=("ml-pipeline",), never_ready=("mysql",))
    apply_tiers(clients, load_set("2.17.0").tiers)
    emu.wait_idle()
    snapshot = collect(clients, ["kubeflow"])
    found = [d for d in diagnose(snapshot) if d.workload == "ml-pipeline"]
    assert found and found[0].severity == "info"
    assert "normal for a few minutes while MySQL starts" in found[0].cause


def _num_nodes(action: str) -> int:
    found = re.search(r"--num-nodes (\d+)", action)
    assert found, action
    return int(found.group(1))


def test_preflight_and_rollout_give_one_node_count_and_it_is_enough(
    faults: Any, tmp_path: Path, store: SessionStore, fixtures_root: Path
) -> None:
    """One e2-small node: the capacity preflight and the rollout's diagnosis name the same
    ``--num-nodes`` (they said 3 and 4), and at that size the install schedules.

    Each added node is counted with its allocatable minus the pods every node runs
    (DaemonSets, kube-proxy): on GKE those land first on a new node. The emulator places
    such system-critical pods without a fit check, so it would also admit a node fewer;
    "enough" is what it can prove."""
    import os

    from kfwizard.emulator.kube import NodeSpec
    from kfwizard.engine.steps.install import PreflightStep

    server = emulator(faults, machine="e2-small", count=1)
    server.start()
    try:
        kubeconfig = write_kubeconfig(server, tmp_path)
        checked = new_session(store, kubeconfig, "2.17.0")
        connect_through_gke(checked, server)
        preflight, _ = run(checked, store, [PreflightStep()], options={"env": dict(os.environ)})
        session, rollout = _install(store, kubeconfig, gke=server)
        assert preflight.state == "failed" and rollout.failed_step == "rollout", rollout.cause
        wanted = _num_nodes(preflight.action or "")
        assert _num_nodes(rollout.action or "") == wanted

        server.set_nodes(NodeSpec.for_machine("e2-small", wanted))
        options = {"timeouts": {**_timeouts(), **ROLLOUT_FAST}, "env": dict(os.environ)}
        resized, _ = run(session, store, [RolloutStep()], options=options)
    finally:
        server.stop()
    assert resized.state == "done", resized.cause


def test_an_added_node_counts_only_what_its_own_system_pods_leave() -> None:
    """Two 200m pods and a full e2-small node (440m allocatable): one added node would
    have 440m, but its own kube-proxy and DaemonSet pods take 168m of it, so the pool
    needs two more, three in all."""
    from kfwizard.kube.capacity import node_room
    from kfwizard.kube.diagnose import pool_nodes_needed

    node = {
        "metadata": {"name": "n1", "labels": {"cloud.google.com/gke-nodepool": "default-pool"}},
        "status": {"allocatable": {"cpu": "440m", "memory": "1436Mi", "pods": "110"}},
    }

    def pod(name: str, cpu: str, owner: str) -> dict[str, Any]:
        return {
            "metadata": {"name": name, "ownerReferences": [{"kind": owner, "name": name}]},
            "spec": {
                "nodeName": "n1",
                "containers": [{"resources": {"requests": {"cpu": cpu, "memory": "10Mi"}}}],
            },
            "status": {"phase": "Running"},
        }

    pods = [
        pod("kube-proxy-n1", "100m", "Node"),
        pod("fluentbit", "68m", "DaemonSet"),
        pod("kube-dns", "272m", "ReplicaSet"),  # once per cluster: not on an added node
    ]
    demand = [(200, 2**20), (200, 2**20)]
    assert pool_nodes_needed(node_room([node], pods), pods, demand) == 3
