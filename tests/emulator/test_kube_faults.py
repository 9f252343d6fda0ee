"""Each fault as a client sees it: pod states, events and logs with the real wording,
HTTP errors and dropped connections, and recovery once the fault is lifted."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kfwizard.emulator.faults import Faults
from kfwizard.emulator.kube import KubeEmulator, NodeSpec
from tests.emulator.conftest import wait_for
from tests.emulator.test_kube_kfp import install


def _pod(v1: Any, app: str) -> Any:
    pods = v1.list_namespaced_pod("kubeflow", label_selector=f"app={app}").items
    return pods[0] if pods else None


def _waiting_reason(pod: Any) -> str | None:
    for status in (pod.status.container_statuses or []) if pod else []:
        if status.state.waiting:
            return status.state.waiting.reason
    return None


def _warnings(v1: Any, name_prefix: str) -> list[Any]:
    events = v1.list_namespaced_event("kubeflow").items
    return [
        e for e in events if e.type == "Warning" and e.involved_object.name.startswith(name_prefix)
    ]


def test_crashloop_shows_back_off_restarts_and_the_api_server_logs(
    kube_emu: Any, kube_dyn: Any, kube_api: Any, shared_fixtures: Path
) -> None:
    from kubernetes import client

    kube_emu.faults.update(crashloop=("ml-pipeline",))
    install(kube_dyn, shared_fixtures, "2.17.0", "env-platform-agnostic")
    v1 = client.CoreV1Api(kube_api)
    pod = wait_for(
        lambda: (p := _pod(v1, "ml-pipeline")) and _waiting_reason(p) == "CrashLoopBackOff" and p
    )
    status = pod.status.container_statuses[0]
    assert pod.status.phase == "Running" and status.ready is False and status.restart_count >= 1
    assert (
        status.last_state.terminated.exit_code == 1
        and status.last_state.terminated.reason == "Error"
    )
    assert re.match(
        r"back-off \d+s restarting failed container=ml-pipeline-api-server pod=",
        status.state.waiting.message,
    )
    logs = v1.read_namespaced_pod_log(pod.metadata.name, "kubeflow", previous=True)
    assert "Failed to connect to MySQL" in logs
    assert ":3306: connect: connection refused" in logs
    assert logs.splitlines()[-1].startswith("F")
    assert v1.read_namespaced_pod_log(pod.metadata.name, "kubeflow", tail_lines=1).count("\n") == 1
    back_off = [e for e in _warnings(v1, pod.metadata.name) if e.reason == "BackOff"]
    assert back_off and back_off[0].message.startswith(
        "Back-off restarting failed container ml-pipeline-api-server"
    )
    wait_for(lambda: _pod(v1, "ml-pipeline").status.container_statuses[0].restart_count >= 2)
    dep = client.AppsV1Api(kube_api).read_namespaced_deployment("ml-pipeline", "kubeflow")
    available = next(c for c in dep.status.conditions if c.type == "Available")
    assert available.status == "False" and available.reason == "MinimumReplicasUnavailable"
    kube_emu.faults.update(crashloop=())
    wait_for(lambda: _pod(v1, "ml-pipeline").status.container_statuses[0].ready, timeout=15)


def test_image_pull_errors_keep_the_pod_pending_with_the_real_event(
    kube_emu: Any, kube_dyn: Any, kube_api: Any, shared_fixtures: Path
) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    kube_emu.faults.update(image_pull=("ml-pipeline-ui",))
    install(kube_dyn, shared_fixtures, "2.17.0", "env-platform-agnostic")
    v1 = client.CoreV1Api(kube_api)
    wait_for(lambda: _waiting_reason(_pod(v1, "ml-pipeline-ui")) == "ErrImagePull")
    pod = wait_for(
        lambda: (p := _pod(v1, "ml-pipeline-ui")) and _waiting_reason(p) == "ImagePullBackOff" and p
    )
    assert pod.status.phase == "Pending"
    failed = [e.message for e in _warnings(v1, pod.metadata.name) if e.reason == "Failed"]
    image = "ghcr.io/kubeflow/kfp-frontend:2.17.0"
    assert (
        f'Failed to pull image "{image}": rpc error: code = NotFound desc = '
        f'failed to pull and unpack image "{image}": '
        f'failed to resolve reference "{image}": {image}: not found'
    ) in failed
    assert "Error: ErrImagePull" in failed and "Error: ImagePullBackOff" in failed
    with pytest.raises(ApiException) as err:
        v1.read_namespaced_pod_log(pod.metadata.name, "kubeflow")
    assert (
        "is waiting to start: trying and failing to pull image"
        in json.loads(err.value.body)["message"]
    )
    kube_emu.faults.update(image_pull=())
    wait_for(lambda: _pod(v1, "ml-pipeline-ui").status.phase == "Running", timeout=15)


def test_no_default_storage_class_leaves_claims_pending_until_lifted(
    kube_dyn: Any, shared_fixtures: Path, tmp_path: Path
) -> None:
    from kubernetes import client, config
    from kubernetes.dynamic import DynamicClient

    faults = Faults.named("no-default-storageclass")
    with KubeEmulator(faults=faults) as emu:
        api = config.new_client_from_config_dict(emu.kubeconfig("nosc"))
        dyn = DynamicClient(api, cache_file=str(tmp_path / "c.json"))
        v1 = client.CoreV1Api(api)
        classes = {
            sc.metadata.name: sc for sc in client.StorageV1Api(api).list_storage_class().items
        }
        assert "standard-rwo" in classes
        assert not (classes["standard-rwo"].metadata.annotations or {}).get(
            "storageclass.kubernetes.io/is-default-class"
        )
        install(dyn, shared_fixtures, "2.17.0", "env-platform-agnostic")

        def binding_event() -> Any:
            events = v1.list_namespaced_event(
                "kubeflow", field_selector="involvedObject.name=mysql-pv-claim"
            ).items
            return [e for e in events if e.reason == "FailedBinding"]

        event = wait_for(binding_event)[0]
        assert (
            event.message
            == "no persistent volumes available for this claim and no storage class is set"
        )
        assert event.source.component == "persistentvolume-controller"
        assert (
            v1.read_namespaced_persistent_volume_claim("mysql-pv-claim", "kubeflow").status.phase
            == "Pending"
        )

        def mysql_unscheduled() -> Any:
            pod = _pod(v1, "mysql")
            cond = pod and next(
                (c for c in pod.status.conditions or [] if c.type == "PodScheduled"), None
            )
            return cond and cond.status == "False" and cond

        cond = wait_for(mysql_unscheduled)
        assert cond.reason == "Unschedulable"
        assert cond.message.startswith(
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."
        )
        faults.update(no_default_storageclass=False)
        wait_for(
            lambda: (
                v1.read_namespaced_persistent_volume_claim(
                    "mysql-pv-claim", "kubeflow"
                ).status.phase
                == "Bound"
            )
        )
        wait_for(lambda: _pod(v1, "mysql").status.phase == "Running")
        assert not emu.controller_errors


def test_too_small_nodes_give_failed_scheduling_naming_cpu_and_memory(
    shared_fixtures: Path, tmp_path: Path
) -> None:
    from kubernetes import client, config
    from kubernetes.dynamic import DynamicClient

    small = [NodeSpec("gke-small-1", cpu_millis=500, memory_mib=600, machine_type="e2-small")]
    with KubeEmulator(nodes=small) as emu:
        api = config.new_client_from_config_dict(emu.kubeconfig("small"))
        install(
            DynamicClient(api, cache_file=str(tmp_path / "c.json")),
            shared_fixtures,
            "2.17.0",
            "env-platform-agnostic",
        )
        v1 = client.CoreV1Api(api)

        def failed(name: str) -> Any:
            pod = _pod(v1, name)
            events = (
                v1.list_namespaced_event(
                    "kubeflow", field_selector=f"involvedObject.name={pod.metadata.name}"
                ).items
                if pod
                else []
            )
            return [e.message for e in events if e.reason == "FailedScheduling"]

        message = wait_for(lambda: failed("ml-pipeline"))[0]
        assert message.startswith(
            "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory."
        )
        assert message.endswith(
            "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
        )
        assert _pod(v1, "ml-pipeline").status.phase == "Pending"
        emu.set_nodes(NodeSpec.for_machine("e2-standard-4", 3, cluster="grown"))
        wait_for(lambda: _pod(v1, "ml-pipeline").status.phase == "Running")
        assert not emu.controller_errors


def test_small_nodepool_fault_gives_one_e2_small_node() -> None:
    with KubeEmulator(faults=Faults.named("small-nodepool")) as emu:
        nodes = emu.store.list("v1", "Node")
        assert len(nodes) == 1
        assert nodes[0]["metadata"]["labels"]["node.kubernetes.io/instance-type"] == "e2-small"


@pytest.mark.parametrize("code", [429, 500, 503])
def test_error_rate_answers_status_errors(kube_emu: Any, kube_api: Any, code: int) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    v1 = client.CoreV1Api(kube_api)
    kube_emu.faults.update(error_rate=1.0, error_codes=(code,))
    with pytest.raises(ApiException) as err:
        v1.list_namespace()
    assert err.value.status == code
    body = json.loads(err.value.body)
    assert body["kind"] == "Status" and body["code"] == code
    if code in (429, 503):
        assert "Retry-After" in err.value.headers
    kube_emu.faults.update(error_rate=0.0)
    assert v1.list_namespace().items


def test_dropped_connections_and_failing_paths(kube_emu: Any, kube_api: Any) -> None:
    import urllib3
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    kube_api.configuration.retries = False
    v1 = client.CoreV1Api(kube_api)
    kube_emu.faults.update(drop_rate=1.0)
    with pytest.raises((urllib3.exceptions.HTTPError, ConnectionError)):
        v1.list_namespace(_request_timeout=5)
    kube_emu.faults.update(drop_rate=0.0, fail_paths=("/configmaps",))
    with pytest.raises(ApiException) as err:
        v1.list_namespaced_config_map("default")
    assert err.value.status == 503
    assert v1.list_namespace().items  # other paths still answer
    kube_emu.faults.clear()
    assert v1.list_namespaced_config_map("default").items is not None


def test_never_ready_runs_but_stays_unavailable(
    kube_emu: Any, kube_dyn: Any, kube_api: Any, shared_fixtures: Path
) -> None:
    from kubernetes import client

    kube_emu.faults.update(never_ready=("ml-pipeline",))
    install(kube_dyn, shared_fixtures, "2.17.0", "env-platform-agnostic")
    v1 = client.CoreV1Api(kube_api)
    pod = wait_for(lambda: (p := _pod(v1, "ml-pipeline")) and p.status.phase == "Running" and p)
    assert pod.status.container_statuses[0].ready is False
    ready = next(c for c in pod.status.conditions if c.type == "Ready")
    assert ready.status == "False" and ready.reason == "ContainersNotReady"
    unhealthy = wait_for(
        lambda: [e for e in _warnings(v1, pod.metadata.name) if e.reason == "Unhealthy"]
    )
    assert unhealthy[0].message.startswith('Readiness probe failed: Get "http://')
    assert ("kubeflow", "ml-pipeline") not in kube_emu.available_at
