"""GKE emulator, driven by the official ``ClusterManagerClient`` over REST."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.api_core import exceptions
from google.cloud import container_v1

from kfwizard.emulator import gke_versions
from kfwizard.emulator.catalog import DEFAULT_ENABLED
from kfwizard.emulator.stack import EmulatorStack
from tests.emulator.conftest import CLUSTER_APIS, TEST_PROJECT, gke_client

ZONE = "us-central1-a"
PARENT = f"projects/{TEST_PROJECT}/locations/{ZONE}"
Status = container_v1.Operation.Status


def cluster_request(name: str, nodes: int = 3, machine: str = "n1-standard-2", **extra: Any):
    return container_v1.Cluster(
        name=name,
        node_pools=[
            container_v1.NodePool(
                name="default-pool",
                initial_node_count=nodes,
                config=container_v1.NodeConfig(
                    machine_type=machine,
                    oauth_scopes=["compute-rw", "gke-default", "storage-rw"],
                ),
            )
        ],
        **extra,
    )


def said(exc: exceptions.GoogleAPICallError) -> str:
    """The server's message (api_core prefixes it with "METHOD URL: ")."""
    return exc.message.split(": ", 1)[1]


def wait_done(client: Any, op_name: str, location: str = ZONE, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        op = client.get_operation(
            name=f"projects/{TEST_PROJECT}/locations/{location}/operations/{op_name}"
        )
        if op.status == Status.DONE:
            return op
        assert time.monotonic() < deadline, f"operation {op_name} still {op.status.name}"
        time.sleep(0.01)


@pytest.fixture
def slow_stack(tmp_path: Path) -> Iterator[EmulatorStack]:
    """Provisioning takes ~0.9 s: long enough to see it, short enough for a test."""
    with EmulatorStack(
        speed=0.05,
        project=TEST_PROJECT,
        enabled_services=[*DEFAULT_ENABLED, *CLUSTER_APIS],
        kubeconfig_path=tmp_path / "kubeconfig",
    ) as stack:
        yield stack


def test_create_poll_until_running(slow_stack: EmulatorStack) -> None:
    client = gke_client(slow_stack.gke_url)
    op = client.create_cluster(parent=PARENT, cluster=cluster_request("kfp"))
    assert op.operation_type == container_v1.Operation.Type.CREATE_CLUSTER
    assert op.status == Status.RUNNING
    assert op.name.startswith("operation-") and op.start_time and not op.end_time
    assert op.target_link.endswith(f"/zones/{ZONE}/clusters/kfp")
    provisioning = client.get_cluster(name=f"{PARENT}/clusters/kfp")
    assert provisioning.status == container_v1.Cluster.Status.PROVISIONING
    assert not provisioning.endpoint

    seen_details = set()
    deadline = time.monotonic() + 10
    while True:
        op = client.get_operation(name=f"{PARENT}/operations/{op.name}")
        if op.status == Status.DONE:
            break
        seen_details.add(op.detail)
        metrics = {m.name: m.int_value for m in op.progress.metrics}
        assert metrics["CLUSTER_DEPLOYING_TOTAL"] == 3
        assert [s.name for s in op.progress.stages] == [
            "Creating the control plane",
            "Creating node pools",
            "Checking cluster health",
        ]
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert len(seen_details) >= 2, seen_details
    assert op.end_time and not op.detail and not op.error.message
    assert all(s.status == Status.DONE for s in op.progress.stages)

    cluster = client.get_cluster(name=f"{PARENT}/clusters/kfp")
    kube = slow_stack.cluster("kfp")
    assert cluster.status == container_v1.Cluster.Status.RUNNING
    assert cluster.endpoint == kube.endpoint
    assert cluster.master_auth.cluster_ca_certificate == kube.ca_b64
    assert cluster.current_master_version == gke_versions.DEFAULT_VERSION
    assert cluster.current_node_version == gke_versions.DEFAULT_VERSION
    assert cluster.location == ZONE and list(cluster.locations) == [ZONE]
    assert cluster.self_link.endswith(f"/projects/{TEST_PROJECT}/zones/{ZONE}/clusters/kfp")
    assert cluster.autopilot.enabled is False
    assert cluster.current_node_count == 3
    (pool,) = cluster.node_pools
    assert pool.status == container_v1.NodePool.Status.RUNNING
    assert pool.config.machine_type == "n1-standard-2"
    assert "https://www.googleapis.com/auth/compute" in pool.config.oauth_scopes
    assert "https://www.googleapis.com/auth/devstorage.read_write" in pool.config.oauth_scopes
    assert "https://www.googleapis.com/auth/logging.write" in pool.config.oauth_scopes


def test_get_list_node_pools_and_operations(gke: Any, emulator_stack: EmulatorStack) -> None:
    emulator_stack.add_cluster("alpha")
    emulator_stack.add_cluster("beta", location="europe-west1-b", nodes=1)
    everywhere = gke.list_clusters(parent=f"projects/{TEST_PROJECT}/locations/-")
    assert sorted(c.name for c in everywhere.clusters) == ["alpha", "beta"]
    here = gke.list_clusters(parent=PARENT)
    assert [c.name for c in here.clusters] == ["alpha"]
    found = gke.get_cluster(name=f"projects/{TEST_PROJECT}/locations/-/clusters/beta")
    assert found.location == "europe-west1-b"

    pools = gke.list_node_pools(parent=f"{PARENT}/clusters/alpha")
    assert [p.name for p in pools.node_pools] == ["default-pool"]
    pool = gke.get_node_pool(name=f"{PARENT}/clusters/alpha/nodePools/default-pool")
    assert pool.initial_node_count == 3 and pool.version == gke_versions.DEFAULT_VERSION
    with pytest.raises(exceptions.NotFound) as info:
        gke.get_node_pool(name=f"{PARENT}/clusters/alpha/nodePools/nope")
    assert said(info.value) == f"Not found: {PARENT}/clusters/alpha/nodePools/nope."

    op = gke.create_cluster(parent=PARENT, cluster=cluster_request("gamma", nodes=1))
    listed = gke.list_operations(parent=f"projects/{TEST_PROJECT}/locations/-")
    assert op.name in [o.name for o in listed.operations]
    assert wait_done(gke, op.name).operation_type == container_v1.Operation.Type.CREATE_CLUSTER
    with pytest.raises(exceptions.NotFound):
        gke.get_operation(name=f"{PARENT}/operations/operation-123-deadbeef")


def test_server_config_and_version_resolution(gke: Any) -> None:
    config = gke.get_server_config(name=PARENT)
    assert config.default_cluster_version == gke_versions.DEFAULT_VERSION
    assert list(config.valid_master_versions) == list(gke_versions.VALID_MASTER_VERSIONS)
    channels = {c.channel.name: c for c in config.channels}
    assert set(channels) == {"RAPID", "REGULAR", "STABLE"}
    assert channels["REGULAR"].default_version == config.default_cluster_version
    assert config.default_image_type == "COS_CONTAINERD"

    op = gke.create_cluster(
        parent=PARENT, cluster=cluster_request("newest", initial_cluster_version="latest")
    )
    wait_done(gke, op.name)
    newest = gke.get_cluster(name=f"{PARENT}/clusters/newest")
    assert newest.current_master_version == config.valid_master_versions[0]
    op = gke.create_cluster(
        parent=PARENT, cluster=cluster_request("minor", initial_cluster_version="1.32")
    )
    wait_done(gke, op.name)
    assert gke.get_cluster(name=f"{PARENT}/clusters/minor").current_master_version.startswith(
        "1.32."
    )
    with pytest.raises(exceptions.BadRequest) as info:
        gke.create_cluster(
            parent=PARENT, cluster=cluster_request("old", initial_cluster_version="1.20")
        )
    assert 'Master version "1.20" is unsupported.' in said(info.value)


def test_conflict_not_found_and_bad_input(gke: Any, emulator_stack: EmulatorStack) -> None:
    emulator_stack.add_cluster("taken")
    with pytest.raises(exceptions.Conflict) as info:
        gke.create_cluster(parent=PARENT, cluster=cluster_request("taken"))
    assert said(info.value) == f"Already exists: {PARENT}/clusters/taken."
    with pytest.raises(exceptions.NotFound) as info:
        gke.get_cluster(name=f"{PARENT}/clusters/missing")
    assert said(info.value) == f"Not found: {PARENT}/clusters/missing."
    bad_zone = f"projects/{TEST_PROJECT}/locations/us-central1-q"
    with pytest.raises(exceptions.BadRequest) as info:
        gke.create_cluster(parent=bad_zone, cluster=cluster_request("kfp"))
    assert said(info.value) == 'Location "us-central1-q" does not exist.'
    with pytest.raises(exceptions.BadRequest):
        gke.list_clusters(parent=bad_zone)
    with pytest.raises(exceptions.BadRequest) as info:
        gke.create_cluster(parent=PARENT, cluster=cluster_request("Bad_Name"))
    assert 'Invalid value for field "cluster.name": "Bad_Name"' in said(info.value)
    with pytest.raises(exceptions.BadRequest) as info:
        gke.create_cluster(parent=PARENT, cluster=cluster_request("kfp", machine="n9-huge-7"))
    assert said(info.value) == 'machine type "n9-huge-7" does not exist.'
    with pytest.raises(exceptions.BadRequest) as info:
        gke.create_cluster(parent=PARENT, cluster=cluster_request("kfp", nodes=0))
    assert "Must be greater than 0" in said(info.value)


def test_service_disabled_until_container_api_is_enabled(tmp_path: Path) -> None:
    with EmulatorStack(speed=0, project=TEST_PROJECT, kubeconfig_path=tmp_path / "kc") as stack:
        client = gke_client(stack.gke_url)
        with pytest.raises(exceptions.Forbidden) as info:
            client.list_clusters(parent=f"projects/{TEST_PROJECT}/locations/-")
        err = info.value
        number = stack.serviceusage.project(TEST_PROJECT).number
        assert err.reason == "SERVICE_DISABLED"
        assert err.domain == "googleapis.com"
        assert err.metadata["service"] == "container.googleapis.com"
        assert err.metadata["consumer"] == f"projects/{number}"
        assert said(err).startswith(
            f"Kubernetes Engine API has not been used in project {number} before or it is "
            "disabled. Enable it by visiting https://console.developers.google.com/apis/api/"
            f"container.googleapis.com/overview?project={number} then retry."
        )
        stack.serviceusage.enable_now(TEST_PROJECT, ["container.googleapis.com"])
        assert client.list_clusters(parent=f"projects/{TEST_PROJECT}/locations/-").clusters == []


def test_delete_stops_the_kubernetes_api(gke: Any, emulator_stack: EmulatorStack) -> None:
    kube = emulator_stack.add_cluster("doomed")
    host, port = kube.endpoint.split(":")
    op = gke.delete_cluster(name=f"{PARENT}/clusters/doomed")
    assert op.operation_type == container_v1.Operation.Type.DELETE_CLUSTER
    assert wait_done(gke, op.name).status == Status.DONE
    with pytest.raises(exceptions.NotFound):
        gke.get_cluster(name=f"{PARENT}/clusters/doomed")
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=1).close()


def test_cannot_delete_while_creating(slow_stack: EmulatorStack) -> None:
    client = gke_client(slow_stack.gke_url)
    op = client.create_cluster(parent=PARENT, cluster=cluster_request("busy", nodes=1))
    with pytest.raises(exceptions.BadRequest) as info:
        client.delete_cluster(name=f"{PARENT}/clusters/busy")
    assert said(info.value) == (
        f"Operation {op.name} is currently creating cluster busy. Please wait and try again "
        "once it is done."
    )
    wait_done(client, op.name)


def test_zone_stockout_fails_the_operation(gke: Any, emulator_stack: EmulatorStack) -> None:
    emulator_stack.faults.update(zone_stockout=True)
    op = gke.create_cluster(parent=PARENT, cluster=cluster_request("unlucky"))
    done = wait_done(gke, op.name)
    expected = (
        f"The zone 'projects/{TEST_PROJECT}/zones/{ZONE}' does not have enough resources "
        "available to fulfill the request.  Try a different zone, or try again later."
    )
    assert done.status_message.startswith("Google Compute Engine: ")
    assert expected in done.status_message
    assert "[GCE_STOCKOUT]" in done.status_message
    assert done.error.message == done.status_message
    assert [c.code for c in done.cluster_conditions] == [
        container_v1.StatusCondition.Code.GCE_STOCKOUT
    ]
    cluster = gke.get_cluster(name=f"{PARENT}/clusters/unlucky")
    assert cluster.status == container_v1.Cluster.Status.ERROR
    assert cluster.status_message == done.status_message
    # lifting the fault: the ERROR cluster can be deleted and created again
    emulator_stack.faults.update(zone_stockout=False)
    wait_done(gke, gke.delete_cluster(name=f"{PARENT}/clusters/unlucky").name)
    wait_done(gke, gke.create_cluster(parent=PARENT, cluster=cluster_request("unlucky")).name)
    assert gke.get_cluster(name=f"{PARENT}/clusters/unlucky").status.name == "RUNNING"


def test_cpu_quota_exceeded(gke: Any, emulator_stack: EmulatorStack) -> None:
    emulator_stack.faults.update(cpu_quota_exceeded=True)
    with pytest.raises(exceptions.Forbidden) as info:
        gke.create_cluster(parent=PARENT, cluster=cluster_request("big", nodes=3))
    assert said(info.value) == (
        'Insufficient regional quota to satisfy request: resource "CPUS": request requires '
        "'6.0' and is short '2.0'. project has a quota of '4.0' with '4.0' available. View and "
        "manage quotas at https://console.cloud.google.com/iam-admin/quotas?usage=USED&"
        f"project={TEST_PROJECT}."
    )
    with pytest.raises(exceptions.Forbidden) as info:
        gke.create_cluster(
            parent=PARENT, cluster=cluster_request("wide", nodes=2, machine="n1-standard-4")
        )
    assert "request requires '8.0' and is short '4.0'" in said(info.value)


def test_small_nodepool_fault(gke: Any, emulator_stack: EmulatorStack) -> None:
    emulator_stack.faults.update(small_nodepool=True)
    wait_done(gke, gke.create_cluster(parent=PARENT, cluster=cluster_request("tiny")).name)
    cluster = gke.get_cluster(name=f"{PARENT}/clusters/tiny")
    assert cluster.node_pools[0].config.machine_type == "e2-small"
    assert cluster.node_pools[0].initial_node_count == 1
    assert cluster.current_node_count == 1


def test_regional_cluster_and_autopilot_rules(gke: Any) -> None:
    region = f"projects/{TEST_PROJECT}/locations/us-central1"
    wait_done(
        gke,
        gke.create_cluster(parent=region, cluster=cluster_request("regional", nodes=1)).name,
        location="us-central1",
    )
    cluster = gke.get_cluster(name=f"{region}/clusters/regional")
    assert list(cluster.locations) == ["us-central1-a", "us-central1-b", "us-central1-c"]
    assert cluster.current_node_count == 3
    autopilot = container_v1.Cluster(name="auto", autopilot=container_v1.Autopilot(enabled=True))
    with pytest.raises(exceptions.BadRequest) as info:
        gke.create_cluster(parent=PARENT, cluster=autopilot)
    assert said(info.value) == "Autopilot clusters must be regional clusters."
    wait_done(
        gke, gke.create_cluster(parent=region, cluster=autopilot).name, location="us-central1"
    )
    assert gke.get_cluster(name=f"{region}/clusters/auto").autopilot.enabled


def test_legacy_zone_routes(gke: Any, emulator_stack: EmulatorStack) -> None:
    """The zonal client methods (and older gcloud) use ``projects/P/zones/Z`` URLs."""
    emulator_stack.add_cluster("zonal")
    cluster = gke.get_cluster(project_id=TEST_PROJECT, zone=ZONE, cluster_id="zonal")
    assert cluster.status.name == "RUNNING"
    listed = gke.list_clusters(project_id=TEST_PROJECT, zone="-")
    assert [c.name for c in listed.clusters] == ["zonal"]
    config = gke.get_server_config(project_id=TEST_PROJECT, zone=ZONE)
    assert config.default_cluster_version == gke_versions.DEFAULT_VERSION
    op = gke.delete_cluster(project_id=TEST_PROJECT, zone=ZONE, cluster_id="zonal")
    done = gke.get_operation(project_id=TEST_PROJECT, zone=ZONE, operation_id=op.name)
    assert done.status == Status.DONE
    paths = [r.path for r in emulator_stack.gke.server.log]
    assert f"/v1/projects/{TEST_PROJECT}/zones/{ZONE}/serverconfig" in paths


def test_resumed_client_finds_and_follows_the_running_operation(
    slow_stack: EmulatorStack,
) -> None:
    first = gke_client(slow_stack.gke_url)
    started = first.create_cluster(parent=PARENT, cluster=cluster_request("resumed"))
    del first  # the wizard was interrupted; a new process comes back later
    second = gke_client(slow_stack.gke_url)
    ops = second.list_operations(parent=f"projects/{TEST_PROJECT}/locations/-").operations
    (running,) = [
        o for o in ops if o.target_link.endswith("/clusters/resumed") and o.status == Status.RUNNING
    ]
    assert running.name == started.name
    assert wait_done(second, running.name).status == Status.DONE
    assert second.get_cluster(name=f"{PARENT}/clusters/resumed").status.name == "RUNNING"


def test_cluster_endpoint_and_ca_reach_a_working_kubernetes_api(
    gke: Any, emulator_stack: EmulatorStack, tmp_path: Path
) -> None:
    import kubernetes.client

    wait_done(gke, gke.create_cluster(parent=PARENT, cluster=cluster_request("kfp")).name)
    cluster = gke.get_cluster(name=f"{PARENT}/clusters/kfp")
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(base64.b64decode(cluster.master_auth.cluster_ca_certificate))
    config = kubernetes.client.Configuration()
    config.host = f"https://{cluster.endpoint}"
    config.ssl_ca_cert = str(ca_file)
    config.verify_ssl = True
    with kubernetes.client.ApiClient(config) as api:
        version = kubernetes.client.VersionApi(api).get_code()
        assert version.git_version.lstrip("v") == cluster.current_master_version
        nodes = kubernetes.client.CoreV1Api(api).list_node().items
    assert len(nodes) == 3
    labels = nodes[0].metadata.labels
    assert labels.get("node.kubernetes.io/instance-type") == "n1-standard-2"


def test_error_rate_and_drop_rate(gke: Any, emulator_stack: EmulatorStack) -> None:
    emulator_stack.faults.update(error_rate=1.0)
    with pytest.raises(
        (exceptions.TooManyRequests, exceptions.InternalServerError, exceptions.ServiceUnavailable)
    ):
        gke.get_server_config(name=PARENT, retry=None)
    emulator_stack.faults.update(error_rate=0.0, drop_rate=1.0)
    with pytest.raises(requests.exceptions.ConnectionError):
        gke.get_server_config(name=PARENT, retry=None)
    emulator_stack.faults.update(drop_rate=0.0, fail_paths=("/serverConfig",))
    with pytest.raises(exceptions.ServiceUnavailable):
        gke.get_server_config(name=PARENT, retry=None)
    assert gke.list_clusters(parent=PARENT).clusters == []
