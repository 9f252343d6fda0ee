"""Node pool changes on the GKE emulator, driven by the official ``ClusterManagerClient``
over REST: ``setSize`` (both URL forms), pool create / get / delete, as long-running
operations; their end shows in the cluster's Kubernetes nodes (read with the official
``kubernetes`` client), so a pool grown after a capacity failure has room for the
install's next try. The small-nodepool fault is about creating a cluster: a resize or a
new pool afterwards is honoured with it on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import container_v1

from kfwizard.emulator.catalog import DEFAULT_ENABLED
from kfwizard.emulator.faults import Faults
from kfwizard.emulator.stack import EmulatorStack
from kfwizard.gcp.machine_types import allocatable, get_machine_type
from tests.emulator.conftest import CLUSTER_APIS, TEST_PROJECT, gke_client

ZONE = "us-central1-a"
PARENT = f"projects/{TEST_PROJECT}/locations/{ZONE}"
CLUSTER = f"{PARENT}/clusters/kfp"
Status = container_v1.Operation.Status
Type = container_v1.Operation.Type


def wait_done(client: Any, op_name: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        op = client.get_operation(name=f"{PARENT}/operations/{op_name}")
        if op.status == Status.DONE:
            return op
        assert time.monotonic() < deadline, f"operation {op_name} still {op.status.name}"
        time.sleep(0.01)


def resize(pool: str, nodes: int) -> Any:
    return container_v1.SetNodePoolSizeRequest(name=pool, node_count=nodes)


def create_cluster(client: Any, nodes: int = 3, machine: str = "n1-standard-2") -> None:
    cluster = container_v1.Cluster(
        name="kfp",
        node_pools=[
            container_v1.NodePool(
                name="default-pool",
                initial_node_count=nodes,
                config=container_v1.NodeConfig(machine_type=machine),
            )
        ],
    )
    op = wait_done(client, client.create_cluster(parent=PARENT, cluster=cluster).name)
    assert not op.error.message, op.error.message


def kube_nodes(stack: EmulatorStack) -> list[Any]:
    """The cluster's nodes through the official client and the stack's kubeconfig."""
    from kubernetes import client, config

    api = config.new_client_from_config(
        config_file=str(stack.kubeconfig_path), context=f"gke_{TEST_PROJECT}_{ZONE}_kfp"
    )
    try:
        return list(client.CoreV1Api(api).list_node().items)
    finally:
        api.close()


def machines(nodes: list[Any]) -> list[tuple[str, str]]:
    """(node pool, machine type) of each node, sorted."""
    return sorted(
        (
            n.metadata.labels["cloud.google.com/gke-nodepool"],
            n.metadata.labels["node.kubernetes.io/instance-type"],
        )
        for n in nodes
    )


def assert_allocatable(node: Any, machine_type: str) -> None:
    machine = get_machine_type(machine_type)
    assert machine is not None
    cpu, mib = allocatable(machine)
    assert node.status.allocatable["cpu"] == f"{cpu}m"
    assert node.status.allocatable["memory"] == f"{mib * 1024}Ki"


def stack_at(tmp_path: Path, speed: float, **extra: Any) -> EmulatorStack:
    return EmulatorStack(
        speed=speed,
        project=TEST_PROJECT,
        enabled_services=[*DEFAULT_ENABLED, *CLUSTER_APIS],
        kubeconfig_path=tmp_path / "kubeconfig",
        **extra,
    )


@pytest.fixture
def small_stack(tmp_path: Path) -> Iterator[EmulatorStack]:
    """At speed 0, with the small-nodepool fault on (as ``--fault small-nodepool``)."""
    with stack_at(tmp_path, 0.0, faults=Faults.named("small-nodepool")) as stack:
        yield stack


def test_resize_is_honoured_with_the_small_nodepool_fault_on(small_stack: EmulatorStack) -> None:
    client = gke_client(small_stack.gke_url)
    create_cluster(client)
    assert machines(kube_nodes(small_stack)) == [("default-pool", "e2-small")]

    op = client.set_node_pool_size(request=resize(f"{CLUSTER}/nodePools/default-pool", 3))
    assert op.operation_type == Type.SET_NODE_POOL_SIZE
    assert op.target_link.endswith(f"/zones/{ZONE}/clusters/kfp/nodePools/default-pool")
    done = wait_done(client, op.name)
    assert done.end_time and not done.error.message
    assert done.progress.status == Status.DONE
    assert {m.name: m.int_value for m in done.progress.metrics} == {
        "NODES": 2,
        "NODES_TOTAL": 2,
    }

    cluster = client.get_cluster(name=CLUSTER)
    assert cluster.status.name == "RUNNING" and cluster.current_node_count == 3
    pool = client.get_node_pool(name=f"{CLUSTER}/nodePools/default-pool")
    assert pool.status.name == "RUNNING"
    assert pool.initial_node_count == 1  # GKE keeps the size the pool was made with
    nodes = kube_nodes(small_stack)
    assert machines(nodes) == [("default-pool", "e2-small")] * 3
    for node in nodes:
        assert_allocatable(node, "e2-small")
        assert {c.type: c.status for c in node.status.conditions}["Ready"] == "True"

    # The zonal client's form: projects/P/zones/Z/clusters/C/nodePools/N/setSize.
    op = client.set_node_pool_size(
        request=container_v1.SetNodePoolSizeRequest(
            project_id=TEST_PROJECT, zone=ZONE, cluster_id="kfp", node_pool_id="default-pool",
            node_count=2,
        )
    )  # fmt: skip
    wait_done(client, op.name)
    assert client.get_cluster(name=CLUSTER).current_node_count == 2
    assert len(kube_nodes(small_stack)) == 2


def test_a_new_node_pool_brings_its_nodes_and_deleting_it_takes_them(
    small_stack: EmulatorStack,
) -> None:
    client = gke_client(small_stack.gke_url)
    create_cluster(client)
    op = client.create_node_pool(
        parent=CLUSTER,
        node_pool=container_v1.NodePool(
            name="kfp-pool",
            initial_node_count=3,
            config=container_v1.NodeConfig(machine_type="e2-standard-4"),
        ),
    )
    assert op.operation_type == Type.CREATE_NODE_POOL
    assert op.target_link.endswith("/clusters/kfp/nodePools/kfp-pool")
    assert wait_done(client, op.name).progress.status == Status.DONE

    pool = client.get_node_pool(name=f"{CLUSTER}/nodePools/kfp-pool")
    assert pool.status.name == "RUNNING" and pool.config.machine_type == "e2-standard-4"
    assert pool.initial_node_count == 3 and list(pool.locations) == [ZONE]
    assert pool.self_link.endswith("/clusters/kfp/nodePools/kfp-pool")
    listed = client.list_node_pools(parent=CLUSTER).node_pools
    assert [p.name for p in listed] == ["default-pool", "kfp-pool"]
    assert client.get_cluster(name=CLUSTER).current_node_count == 4
    nodes = kube_nodes(small_stack)
    assert machines(nodes) == [("default-pool", "e2-small")] + [("kfp-pool", "e2-standard-4")] * 3
    for node in nodes:
        assert_allocatable(node, node.metadata.labels["node.kubernetes.io/instance-type"])

    with pytest.raises(exceptions.Conflict) as info:
        client.create_node_pool(
            parent=CLUSTER, node_pool=container_v1.NodePool(name="kfp-pool", initial_node_count=1)
        )
    assert f"Already exists: {CLUSTER}/nodePools/kfp-pool." in info.value.message

    # Deleting through the zonal client's form.
    op = client.delete_node_pool(
        project_id=TEST_PROJECT, zone=ZONE, cluster_id="kfp", node_pool_id="default-pool"
    )
    assert op.operation_type == Type.DELETE_NODE_POOL
    wait_done(client, op.name)
    with pytest.raises(exceptions.NotFound):
        client.get_node_pool(name=f"{CLUSTER}/nodePools/default-pool")
    assert client.get_cluster(name=CLUSTER).current_node_count == 3
    assert machines(kube_nodes(small_stack)) == [("kfp-pool", "e2-standard-4")] * 3


def test_bad_node_pool_requests_are_refused(small_stack: EmulatorStack) -> None:
    client = gke_client(small_stack.gke_url)
    create_cluster(client)
    with pytest.raises(exceptions.NotFound) as missing:
        client.set_node_pool_size(request=resize(f"{CLUSTER}/nodePools/nope", 3))
    assert f"Not found: {CLUSTER}/nodePools/nope." in missing.value.message
    with pytest.raises(exceptions.BadRequest):
        client.set_node_pool_size(request=resize(f"{CLUSTER}/nodePools/default-pool", -1))
    with pytest.raises(exceptions.BadRequest) as machine:
        client.create_node_pool(
            parent=CLUSTER,
            node_pool=container_v1.NodePool(
                name="big", initial_node_count=1, config=container_v1.NodeConfig(machine_type="x9")
            ),
        )
    assert 'machine type "x9" does not exist.' in machine.value.message
    with pytest.raises(exceptions.BadRequest):
        client.create_node_pool(
            parent=CLUSTER, node_pool=container_v1.NodePool(name="Bad_Name", initial_node_count=1)
        )


def test_a_resize_is_an_operation_with_progress_and_the_cluster_is_busy_meanwhile(
    tmp_path: Path,
) -> None:
    """At speed 0.5 a 1 -> 3 resize takes ~2 s: RUNNING with progress, then DONE."""
    with stack_at(tmp_path, 0.0) as stack:
        client = gke_client(stack.gke_url)
        create_cluster(client, nodes=1)
        stack.gke.scheduler.speed = 0.5  # provisioning at once, the resize in time
        op = client.set_node_pool_size(request=resize(f"{CLUSTER}/nodePools/default-pool", 3))
        running = client.get_operation(name=f"{PARENT}/operations/{op.name}")
        assert running.status == Status.RUNNING
        assert running.detail.startswith("Resizing node pool default-pool to 3 per zone: ")
        assert {m.name for m in running.progress.metrics} == {"NODES", "NODES_TOTAL"}
        pool = client.get_node_pool(name=f"{CLUSTER}/nodePools/default-pool")
        assert pool.status.name == "RECONCILING"
        with pytest.raises(exceptions.BadRequest) as busy:
            client.set_node_pool_size(request=resize(f"{CLUSTER}/nodePools/default-pool", 5))
        assert (
            f"Operation {op.name} is currently resizing a node pool for cluster kfp. Please "
            "wait and try again once it is done." in busy.value.message
        )
        assert len(kube_nodes(stack)) == 1  # the nodes come at the end
        wait_done(client, op.name)
        assert len(kube_nodes(stack)) == 3


def test_a_resized_pool_stays_resized_after_a_restart_with_the_fault_still_on(
    tmp_path: Path,
) -> None:
    state_dir = tmp_path / "state"
    faults = Faults.named("small-nodepool")
    with stack_at(tmp_path, 0.0, faults=faults, state_dir=state_dir) as stack:
        client = gke_client(stack.gke_url)
        create_cluster(client)
        op = client.set_node_pool_size(request=resize(f"{CLUSTER}/nodePools/default-pool", 3))
        wait_done(client, op.name)
    with stack_at(tmp_path, 0.0, faults=faults, state_dir=state_dir) as stack:
        client = gke_client(stack.gke_url)
        assert client.get_cluster(name=CLUSTER).current_node_count == 3
        assert machines(kube_nodes(stack)) == [("default-pool", "e2-small")] * 3
        op = client.set_node_pool_size(request=resize(f"{CLUSTER}/nodePools/default-pool", 4))
        wait_done(client, op.name)
        assert len(kube_nodes(stack)) == 4
