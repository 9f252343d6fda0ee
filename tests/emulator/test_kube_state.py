"""Nodes (shapes, resizing) and persistence (save a cluster, start it again later)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kfwizard.emulator.kube import KubeEmulator, NodeSpec
from kfwizard.gcp.machine_types import allocatable, get_machine_type
from tests.emulator.conftest import apply_docs, wait_for
from tests.emulator.test_kube_kfp import install


def test_node_specs_use_gke_allocatable() -> None:
    nodes = NodeSpec.for_machine("e2-standard-4", 2, pool="big-pool", cluster="kf")
    machine = get_machine_type("e2-standard-4")
    assert machine is not None
    assert [(n.cpu_millis, n.memory_mib) for n in nodes] == [allocatable(machine)] * 2
    assert all(n.name.startswith("gke-kf-big-pool-") and n.pool == "big-pool" for n in nodes)
    assert len({n.name for n in nodes}) == 2
    assert (
        NodeSpec.for_machine("e2-standard-4", 2, pool="big-pool", cluster="kf") == nodes
    )  # stable names
    default = NodeSpec("n", 1000, 2000)
    assert (default.pool, default.machine_type, default.labels) == (
        "default-pool",
        "n1-standard-2",
        {},
    )


def test_set_nodes_resizes_the_cluster_and_daemonsets_follow(kube_emu: Any) -> None:
    def agents() -> int:
        return len(
            [
                p
                for p in kube_emu.store.list("v1", "Pod", "kube-system")
                if p["metadata"]["name"].startswith("fluentbit-gke-")
            ]
        )

    assert agents() == 3
    bigger = NodeSpec.for_machine("n1-standard-2", 5, cluster="kube-test")
    kube_emu.set_nodes(bigger)
    assert {n["metadata"]["name"] for n in kube_emu.store.list("v1", "Node")} == {
        n.name for n in bigger
    }
    wait_for(lambda: agents() == 5)
    labelled = NodeSpec(
        "gke-custom-1",
        3000,
        8000,
        pool="gpu-pool",
        machine_type="n1-standard-4",
        labels={"accel": "yes"},
    )
    kube_emu.set_nodes([labelled])
    node = kube_emu.store.list("v1", "Node")[0]
    assert node["metadata"]["labels"]["accel"] == "yes"
    assert node["metadata"]["labels"]["cloud.google.com/gke-nodepool"] == "gpu-pool"
    assert (
        node["status"]["allocatable"]["cpu"] == "3000m" and node["status"]["capacity"]["cpu"] == "4"
    )
    wait_for(lambda: agents() == 1)
    wait_for(
        lambda: all(
            p["spec"].get("nodeName") == "gke-custom-1"
            for p in kube_emu.store.list("v1", "Pod", "kube-system")
        )
    )


def test_a_saved_cluster_comes_back_with_its_objects_ca_and_crds(
    kube_emu: Any, kube_dyn: Any, shared_fixtures: Path, tmp_path: Path
) -> None:
    from kubernetes import client, config
    from kubernetes.dynamic import DynamicClient

    install(kube_dyn, shared_fixtures, "2.17.0", "env-platform-agnostic")
    wait_for(lambda: ("kubeflow", "ml-pipeline") in kube_emu.available_at)
    state = tmp_path / "state" / "kube-test.json"
    kube_emu.save_state(state)
    kubeconfig = kube_emu.kubeconfig("saved")
    kube_emu.stop()

    with KubeEmulator.load_state(state) as again:
        assert (
            again.name == "kube-test"
            and again.ca_pem == kube_emu.ca_pem
            and again.token == kube_emu.token
        )
        kubeconfig["clusters"][0]["cluster"]["server"] = (
            again.url
        )  # the same port when it was free, and the same CA and token
        api = config.new_client_from_config_dict(kubeconfig)
        dyn = DynamicClient(api, cache_file=str(tmp_path / "again.json"))
        deps = client.AppsV1Api(api).list_namespaced_deployment("kubeflow").items
        assert len(deps) == 14 and all(d.status.available_replicas == 1 for d in deps)
        workflows = dyn.resources.get(api_version="argoproj.io/v1alpha1", kind="Workflow")
        apply_docs(
            dyn,
            [
                {
                    "apiVersion": "argoproj.io/v1alpha1",
                    "kind": "Workflow",
                    "metadata": {"name": "hello", "namespace": "kubeflow"},
                    "spec": {"entrypoint": "main"},
                }
            ],
        )
        assert workflows.get(name="hello", namespace="kubeflow").spec.entrypoint == "main"
        v1 = client.CoreV1Api(api)
        pods = v1.list_namespaced_pod("kubeflow").items
        assert pods and all(p.status.phase == "Running" for p in pods)
        rv = int(v1.list_namespace().metadata.resource_version)
        assert rv >= int(kube_emu.store.resource_version)
        proxy = v1.connect_get_namespaced_service_proxy_with_path(
            "ml-pipeline:8888", "kubeflow", "apis/v1beta1/healthz", _preload_content=False
        )
        assert b'"tag_name": "2.17.0"' in proxy.data
        assert not again.controller_errors

    snapshot = KubeEmulator.load_state(state).snapshot()  # not started: still the saved cluster
    restored = KubeEmulator.restore(snapshot)
    assert restored.name == "kube-test"
    assert restored.store.get("apps/v1", "Deployment", "kubeflow", "ml-pipeline") is not None


def test_a_restored_cluster_keeps_its_endpoint_while_the_port_is_free(tmp_path: Path) -> None:
    """A real cluster's endpoint survives a restart of kfwizard; the demo's does too, so
    a resumed session's saved endpoint and kubeconfig still reach it."""
    import socket

    first = KubeEmulator(name="keep", tls=True).start()
    state = tmp_path / "keep.json"
    first.save_state(state)
    port = first.port
    first.stop()
    with KubeEmulator.load_state(state) as again:
        assert again.port == port
        again.save_state(state)
    with socket.socket() as taker:  # someone else has the port now
        taker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taker.bind(("127.0.0.1", port))
        taker.listen()
        with KubeEmulator.load_state(state) as moved:
            assert moved.port != port
            assert moved.snapshot()["port"] == moved.port
