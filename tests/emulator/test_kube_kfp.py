"""The real KFP manifests against the emulator: server-side apply, rollout, the KFP API
and UI through the service proxy and a port-forward, and the GCP inverse proxy."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from kfwizard.emulator.kube import KubeEmulator
from tests.emulator.conftest import apply_docs, load_manifests, wait_for


def install(dyn: Any, fixtures: Path, version: str, env: str) -> list[dict[str, Any]]:
    """Apply cluster-scoped-resources, wait for its CRDs, then apply ``env``."""
    folder = fixtures / "kfp" / version
    scoped = load_manifests(folder / "cluster-scoped-resources.yaml")
    apply_docs(dyn, scoped)
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    for doc in scoped:
        if doc["kind"] == "CustomResourceDefinition":
            wait_for(
                lambda d=doc: any(
                    c.type == "Established" and c.status == "True"
                    for c in crds.get(name=d["metadata"]["name"]).status.conditions or []
                )
            )
    docs = load_manifests(folder / f"{env}.yaml")
    apply_docs(dyn, docs)
    return docs


def _proxy_json(v1: Any, name: str, namespace: str, path: str) -> Any:
    """GET through the service proxy; the typed client would str() a parsed JSON body."""
    response = v1.connect_get_namespaced_service_proxy_with_path(
        name, namespace, path, _preload_content=False
    )
    return json.loads(response.data)


def _deployments(dyn: Any, namespace: str = "kubeflow") -> dict[str, Any]:
    items = (
        dyn.resources.get(api_version="apps/v1", kind="Deployment").get(namespace=namespace).items
    )
    return {d.metadata.name: d for d in items}


def _available(dep: Any) -> bool:
    return any(c.type == "Available" and c.status == "True" for c in dep.status.conditions or [])


def test_kfp_2_17_rolls_out_with_real_status_fields(
    kube_emu: Any, kube_dyn: Any, shared_fixtures: Path
) -> None:
    from kubernetes import watch

    docs = install(kube_dyn, shared_fixtures, "2.17.0", "env-platform-agnostic")
    wanted = {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"}
    assert len(wanted) == 14
    deployments = kube_dyn.resources.get(api_version="apps/v1", kind="Deployment")
    ready: set[str] = set()
    for event in kube_dyn.watch(deployments, namespace="kubeflow", timeout=30):
        dep = event["object"]
        if _available(dep):
            ready.add(dep.metadata.name)
        if ready >= wanted:
            break
    assert ready == wanted
    del watch
    dep = _deployments(kube_dyn)["ml-pipeline"]
    assert dep.status.observedGeneration == dep.metadata.generation
    assert (
        dep.status.replicas,
        dep.status.readyReplicas,
        dep.status.availableReplicas,
        dep.status.updatedReplicas,
    ) == (1, 1, 1, 1)
    conditions = {c.type: c for c in dep.status.conditions}
    assert conditions["Available"].reason == "MinimumReplicasAvailable"
    assert conditions["Progressing"].reason == "NewReplicaSetAvailable"
    assert "has successfully progressed" in conditions["Progressing"].message
    assert {("kubeflow", name) for name in wanted} <= set(kube_emu.available_at)
    rs = (
        kube_dyn.resources.get(api_version="apps/v1", kind="ReplicaSet")
        .get(namespace="kubeflow", label_selector="app=ml-pipeline")
        .items
    )
    assert len(rs) == 1 and rs[0].metadata.name.startswith("ml-pipeline-")
    assert rs[0].metadata.ownerReferences[0].name == "ml-pipeline"
    pvcs = (
        kube_dyn.resources.get(api_version="v1", kind="PersistentVolumeClaim")
        .get(namespace="kubeflow")
        .items
    )
    assert {(p.metadata.name, p.status.phase, p.spec.storageClassName) for p in pvcs} == {
        ("mysql-pv-claim", "Bound", "standard-rwo"),
        ("seaweedfs-pvc", "Bound", "standard-rwo"),
    }
    pv = kube_dyn.resources.get(api_version="v1", kind="PersistentVolume").get(
        name=pvcs[0].spec.volumeName
    )
    assert pv.status.phase == "Bound" and pv.spec.claimRef.name == pvcs[0].metadata.name
    install_config = kube_emu.store.get("v1", "ConfigMap", "kubeflow", "pipeline-install-config")
    assert install_config["data"]["appVersion"] == "2.17.0"


def test_service_proxy_answers_the_kfp_api_and_ui(
    kube_emu: Any, kube_dyn: Any, kube_api: Any, shared_fixtures: Path
) -> None:
    from kubernetes import client

    install(kube_dyn, shared_fixtures, "2.17.0", "env-platform-agnostic")
    wait_for(lambda: all(_available(d) for d in _deployments(kube_dyn).values()))
    v1 = client.CoreV1Api(kube_api)
    health = _proxy_json(v1, "ml-pipeline:8888", "kubeflow", "apis/v1beta1/healthz")
    assert health == {
        "commit_sha": "4a3592cb2dd0a91a4652ab93893ec8beda1f3158",
        "tag_name": "2.17.0",
        "multi_user": False,
    }
    health2 = _proxy_json(v1, "ml-pipeline:http", "kubeflow", "apis/v2beta1/healthz")
    assert health2["pipeline_store"] == "database" and health2["tag_name"] == "2.17.0"
    html = v1.connect_get_namespaced_service_proxy_with_path("ml-pipeline-ui:80", "kubeflow", "")
    assert "<title>Kubeflow Pipelines</title>" in html
    ui_health = _proxy_json(v1, "ml-pipeline-ui", "kubeflow", "apis/v1beta1/healthz")
    assert ui_health["apiServerReady"] is True and ui_health["apiServerTagName"] == "2.17.0"
    from tests.emulator.test_kube_discovery import _raw

    ui = "/api/v1/namespaces/kubeflow/services/ml-pipeline-ui%3A80/proxy"
    listing = _raw(kube_emu, f"{ui}/apis/v2beta1/pipelines?page_size=1")
    assert len(listing["pipelines"]) == 1 and listing["total_size"] >= 1

    assert (
        _raw(
            kube_emu,
            "/api/v1/namespaces/kubeflow/services/ml-pipeline%3A8888/proxy/apis/v1beta1/healthz",
        )["tag_name"]
        == "2.17.0"
    )


def test_proxy_is_503_while_the_api_has_no_ready_pod(
    kube_emu: Any, kube_dyn: Any, kube_api: Any, shared_fixtures: Path
) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    kube_emu.faults.update(never_ready=("ml-pipeline",))
    install(kube_dyn, shared_fixtures, "2.17.0", "env-platform-agnostic")
    wait_for(lambda: _available(_deployments(kube_dyn)["ml-pipeline-ui"]))
    v1 = client.CoreV1Api(kube_api)
    with pytest.raises(ApiException) as err:
        v1.connect_get_namespaced_service_proxy_with_path(
            "ml-pipeline:8888", "kubeflow", "apis/v1beta1/healthz"
        )
    status = json.loads(err.value.body)
    assert (
        err.value.status == 503
        and status["message"] == 'no endpoints available for service "ml-pipeline"'
    )
    ui_health = _proxy_json(v1, "ml-pipeline-ui:80", "kubeflow", "apis/v1beta1/healthz")
    assert ui_health["apiServerReady"] is False  # the UI answers 200 even so
    with pytest.raises(ApiException) as err:
        v1.connect_get_namespaced_service_proxy_with_path("nope:80", "kubeflow", "")
    assert err.value.status == 404
    kube_emu.faults.update(never_ready=())
    wait_for(lambda: _available(_deployments(kube_dyn)["ml-pipeline"]))
    assert (
        _proxy_json(v1, "ml-pipeline:8888", "kubeflow", "apis/v1beta1/healthz")["tag_name"]
        == "2.17.0"
    )


def _fetch(sock: Any, path: str) -> bytes:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_port_forward_speaks_http_to_the_ui_and_api(
    kube_dyn: Any, kube_api: Any, shared_fixtures: Path
) -> None:
    from kubernetes import client
    from kubernetes.stream import portforward

    install(kube_dyn, shared_fixtures, "2.17.0", "env-platform-agnostic")
    wait_for(lambda: all(_available(d) for d in _deployments(kube_dyn).values()))
    v1 = client.CoreV1Api(kube_api)
    ui_pod = (
        v1.list_namespaced_pod("kubeflow", label_selector="app=ml-pipeline-ui")
        .items[0]
        .metadata.name
    )
    forward = portforward(
        v1.connect_get_namespaced_pod_portforward, ui_pod, "kubeflow", ports="3000"
    )
    sock = forward.socket(3000)
    sock.settimeout(10)
    answer = _fetch(sock, "/")
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert b"<title>Kubeflow Pipelines</title>" in answer
    sock.close()
    api_pod = (
        v1.list_namespaced_pod("kubeflow", label_selector="app=ml-pipeline").items[0].metadata.name
    )
    forward = portforward(
        v1.connect_get_namespaced_pod_portforward, api_pod, "kubeflow", ports="8888"
    )
    sock = forward.socket(8888)
    sock.settimeout(10)
    body = _fetch(sock, "/apis/v2beta1/healthz").split(b"\r\n\r\n", 1)[1]
    assert json.loads(body)["tag_name"] == "2.17.0"
    forward = portforward(
        v1.connect_get_namespaced_pod_portforward, api_pod, "kubeflow", ports="9999"
    )
    sock = forward.socket(9999)
    sock.settimeout(10)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        assert sock.recv(10) == b""
    except (TimeoutError, ConnectionError):
        pass
    assert "connection refused" in (forward.error(9999) or "")


def test_kfp_1_8_has_only_the_v1beta1_healthz(
    kube_dyn: Any, kube_api: Any, shared_fixtures: Path
) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    install(kube_dyn, shared_fixtures, "1.8.5", "env-platform-agnostic")
    wait_for(lambda: _available(_deployments(kube_dyn).get("ml-pipeline") or _NotYet()))
    v1 = client.CoreV1Api(kube_api)
    health = _proxy_json(v1, "ml-pipeline:8888", "kubeflow", "apis/v1beta1/healthz")
    assert health["tag_name"] == "1.8.5" and "pipeline_store" not in health
    with pytest.raises(ApiException) as err:
        v1.connect_get_namespaced_service_proxy_with_path(
            "ml-pipeline:8888", "kubeflow", "apis/v2beta1/healthz"
        )
    assert err.value.status == 404


class _NotYet:
    status = type("S", (), {"conditions": None})()


def _hostname(emu: Any) -> str:
    cm = emu.store.get("v1", "ConfigMap", "kubeflow", "inverse-proxy-config")
    return ((cm or {}).get("data") or {}).get("Hostname", "")


def test_proxy_agent_writes_the_public_hostname_on_gke(
    kube_emu: Any, kube_dyn: Any, shared_fixtures: Path
) -> None:
    install(kube_dyn, shared_fixtures, "1.8.5", "env-dev")
    host = wait_for(lambda: _hostname(kube_emu))
    assert host.endswith("-dot-us-central1.pipelines.googleusercontent.com")
    data = kube_emu.store.get("v1", "ConfigMap", "kubeflow", "inverse-proxy-config")["data"]
    assert data["ProxyUrl"].startswith("https://datalab-us-central1.cloud.google.com/tun/m/")
    assert data["BackendId"]


def test_proxy_agent_is_refused_by_pod_security_on_2_17(
    kube_emu: Any, kube_dyn: Any, kube_api: Any, shared_fixtures: Path
) -> None:
    from kubernetes import client

    install(kube_dyn, shared_fixtures, "2.17.0", "env-dev")
    wait_for(lambda: _available(_deployments(kube_dyn)["ml-pipeline"]))
    v1 = client.CoreV1Api(kube_api)

    def refusal() -> Any:
        events = v1.list_namespaced_event("kubeflow", field_selector="reason=FailedCreate").items
        return [e for e in events if e.involved_object.name.startswith("proxy-agent-")]

    event = wait_for(refusal)[0]
    assert event.type == "Warning" and event.involved_object.kind == "ReplicaSet"
    assert event.message.startswith('Error creating: pods "proxy-agent-')
    assert event.message.endswith(
        'is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)'
    )
    assert not _available(_deployments(kube_dyn)["proxy-agent"])
    assert v1.list_namespaced_pod("kubeflow", label_selector="app=proxy-agent").items == []
    assert _hostname(kube_emu) == ""
    # Retries back off and repeats are aggregated into one Event (count grows), as the
    # real controller and event recorder do; no flood of one Event per attempt. Each pod
    # that becomes ready retries refused creations at once (it may be the webhook they
    # waited for), so the backoff is measured once every other Deployment is up.
    others = [name for name in _deployments(kube_dyn) if name != "proxy-agent"]
    wait_for(lambda: all(_available(_deployments(kube_dyn)[name]) for name in others))
    before = refusal()[0].count or 1
    time.sleep(2.0)
    repeated = refusal()
    assert len(repeated) == 1, f"{len(repeated)} FailedCreate events for one ReplicaSet"
    # Backing off from 0.2 s (doubling, capped at 3.2 s at speed 0) allows at most 3
    # retries in 2 s; a retry every 0.2 s cycle would be 10.
    assert (repeated[0].count or 1) >= 2, "the refused ReplicaSet should keep retrying"
    assert (repeated[0].count or 1) - before <= 5, (before, repeated[0].count)


def test_proxy_agent_crash_loops_off_gke(
    kube_dyn: Any, shared_fixtures: Path, tmp_path: Path
) -> None:
    from kubernetes import client, config
    from kubernetes.dynamic import DynamicClient

    with KubeEmulator(gke=False) as emu:
        api = config.new_client_from_config_dict(emu.kubeconfig("offgke"))
        dyn = DynamicClient(api, cache_file=str(tmp_path / "cache.json"))
        install(dyn, shared_fixtures, "1.8.5", "env-dev")
        v1 = client.CoreV1Api(api)

        def crashing() -> Any:
            pods = v1.list_namespaced_pod("kubeflow", label_selector="app=proxy-agent").items
            for pod in pods:
                for status in pod.status.container_statuses or []:
                    if status.state.waiting and status.state.waiting.reason == "CrashLoopBackOff":
                        return pod
            return None

        pod = wait_for(crashing)
        logs = v1.read_namespaced_pod_log(pod.metadata.name, "kubeflow", previous=True)
        assert "Could not resolve host: metadata.google.internal" in logs
        assert _hostname(emu) == ""
        assert not emu.controller_errors
