"""Discovery, version, kubeconfig/TLS and request counting, seen by the official clients."""

from __future__ import annotations

import os
import re
import ssl
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from kfwizard.emulator.kube import KubeEmulator


def _raw(emu: Any, path: str) -> Any:
    import json

    context = ssl.create_default_context(cadata=emu.ca_pem)
    request = urllib.request.Request(
        emu.url + path, headers={"Authorization": f"Bearer {emu.token}"}
    )
    with urllib.request.urlopen(request, context=context, timeout=5) as response:
        return json.loads(response.read())


def test_version_and_core_discovery_have_the_wire_shapes_clients_need(kube_emu: Any) -> None:
    version = _raw(kube_emu, "/version")
    assert version["gitVersion"] == "v1.33.5-gke.1200000"
    assert (version["major"], version["minor"]) == ("1", "33")
    assert _raw(kube_emu, "/api")["versions"] == ["v1"]
    core = _raw(kube_emu, "/api/v1")
    assert core["groupVersion"] == "v1"  # kubectl fails with "/v1"
    pods = next(r for r in core["resources"] if r["name"] == "pods")
    assert pods["namespaced"] and pods["kind"] == "Pod" and "watch" in pods["verbs"]
    assert {"pods/status", "pods/log", "pods/portforward"} <= {r["name"] for r in core["resources"]}
    groups = {g["name"]: g for g in _raw(kube_emu, "/apis")["groups"]}
    autoscaling = groups["autoscaling"]
    assert autoscaling["preferredVersion"] in autoscaling["versions"]
    assert autoscaling["preferredVersion"]["version"] == "v2"
    apps = _raw(kube_emu, "/apis/apps/v1")
    scale = next(r for r in apps["resources"] if r["name"] == "deployments/scale")
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    deploy = next(r for r in apps["resources"] if r["name"] == "deployments")
    assert deploy["shortNames"] == ["deploy"] and deploy["singularName"] == "deployment"


def _top_level_kinds(path: Path) -> set[tuple[str, str]]:
    """(apiVersion, kind) of every document, read from the column-0 keys of the rendered
    YAML (a full parse of the 12 MB Kubeflow render takes seconds)."""
    kinds = set()
    for doc in path.read_text(encoding="utf-8").split("\n---\n"):
        version = re.search(r"^apiVersion: *(\S+)", doc, re.M)
        kind = re.search(r"^kind: *(\S+)", doc, re.M)
        if version and kind:
            kinds.add((version.group(1).strip("'\""), kind.group(1).strip("'\"")))
    return kinds


def test_every_builtin_kind_of_the_fixtures_is_served(kube_emu: Any, shared_fixtures: Path) -> None:
    disc = kube_emu.cluster.discovery
    builtin_groups = {rt.group for rt in disc.all_types()}
    files = sorted((shared_fixtures / "kfp").glob("*/*.yaml"))
    files.append(shared_fixtures / "kubeflow" / "26.03" / "example.yaml")
    used = set().union(*(_top_level_kinds(path) for path in files))
    assert ("apps/v1", "Deployment") in used and len(used) > 30
    builtin = {(av, kind) for av, kind in used if av.rpartition("/")[0] in builtin_groups}
    missing = sorted(
        (av, kind)
        for av, kind in builtin
        if disc.by_kind(av, kind) is None
        and av != "apiextensions.k8s.io/v1beta1"  # removed in 1.22, as on GKE
    )
    assert missing == []
    for av, kind in (
        ("v1", "Event"),
        ("coordination.k8s.io/v1", "Lease"),
        ("certificates.k8s.io/v1", "CertificateSigningRequest"),
        ("networking.k8s.io/v1", "IngressClass"),
        ("apiregistration.k8s.io/v1", "APIService"),
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
        ("policy/v1", "PodDisruptionBudget"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ):
        assert disc.by_kind(av, kind) is not None, kind
    assert disc.by_kind("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition") is None


def test_dynamic_client_discovers_and_typed_clients_work(kube_dyn: Any, kube_api: Any) -> None:
    from kubernetes import client

    assert kube_dyn.version["kubernetes"]["gitVersion"] == "v1.33.5-gke.1200000"
    deployments = kube_dyn.resources.get(api_version="apps/v1", kind="Deployment")
    assert deployments.namespaced and "scale" in deployments.subresources
    listed = deployments.get(namespace="kube-system")
    assert listed.kind == "DeploymentList" and listed.metadata.resourceVersion
    names = {d.metadata.name for d in listed.items}
    assert {"kube-dns", "konnectivity-agent"} <= names
    nodes = client.CoreV1Api(kube_api).list_node().items
    assert len(nodes) == 3
    labels = nodes[0].metadata.labels
    assert labels["kubernetes.io/arch"] == "amd64"
    assert labels["cloud.google.com/gke-nodepool"] == "default-pool"
    assert labels["node.kubernetes.io/instance-type"] == "n1-standard-2"
    assert labels["topology.kubernetes.io/zone"] == "us-central1-a"
    assert nodes[0].status.allocatable["cpu"] == "1930m"
    classes = {
        sc.metadata.name: sc for sc in client.StorageV1Api(kube_api).list_storage_class().items
    }
    assert (
        classes["standard-rwo"].metadata.annotations["storageclass.kubernetes.io/is-default-class"]
        == "true"
    )
    assert "standard" in classes


def test_self_subject_access_review_is_allowed(kube_api: Any) -> None:
    from kubernetes import client

    review = client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(
            resource_attributes=client.V1ResourceAttributes(
                verb="create", group="apiextensions.k8s.io", resource="customresourcedefinitions"
            )
        )
    )
    answer = client.AuthorizationV1Api(kube_api).create_self_subject_access_review(review)
    assert answer.status.allowed is True


def test_stats_count_requests_by_verb_and_resource(kube_emu: Any, kube_api: Any) -> None:
    from kubernetes import client, watch

    kube_emu.stats.reset()
    apps = client.AppsV1Api(kube_api)
    apps.list_namespaced_deployment("kube-system")
    for _ in watch.Watch().stream(
        apps.list_namespaced_deployment, "kube-system", timeout_seconds=1
    ):
        pass
    apps.read_namespaced_deployment("kube-dns", "kube-system")
    assert kube_emu.stats[("list", "deployments")] == 1
    assert kube_emu.stats[("watch", "deployments")] == 1
    assert kube_emu.stats[("get", "deployments")] == 1
    kube_emu.stats.reset()
    assert dict(kube_emu.stats) == {}


def test_kubeconfig_carries_the_ca_and_token_and_tls_is_verified(kube_emu: Any) -> None:
    config = kube_emu.kubeconfig("gke_p_us-central1-a_kube-test")
    cluster = config["clusters"][0]["cluster"]
    assert cluster["server"] == kube_emu.url == f"https://{kube_emu.endpoint}"
    assert kube_emu.endpoint.startswith("127.0.0.1:")
    import base64

    assert base64.b64decode(cluster["certificate-authority-data"]).decode() == kube_emu.ca_pem
    assert config["users"][0]["user"]["token"] == kube_emu.token
    assert config["current-context"] == "gke_p_us-central1-a_kube-test"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(
            kube_emu.url + "/version", context=ssl.create_default_context(), timeout=5
        )
    assert _raw(kube_emu, "/version")["major"] == "1"


def test_plain_http_mode_and_no_token_are_accepted() -> None:
    import json

    with KubeEmulator(tls=False) as emu:
        assert emu.url.startswith("http://127.0.0.1:") and emu.ca_pem is None and emu.ca_b64 is None
        assert "certificate-authority-data" not in emu.kubeconfig("x")["clusters"][0]["cluster"]
        with urllib.request.urlopen(emu.url + "/api/v1/namespaces", timeout=5) as response:
            names = {n["metadata"]["name"] for n in json.loads(response.read())["items"]}
        assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names


def test_set_version_changes_what_the_server_reports(kube_emu: Any) -> None:
    kube_emu.set_version("1.34.1-gke.100")
    assert _raw(kube_emu, "/version")["gitVersion"] == "v1.34.1-gke.100"
    nodes = _raw(kube_emu, "/api/v1/nodes")["items"]
    assert {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes} == {"v1.34.1-gke.100"}


def _listening_sockets() -> dict[str, str]:
    """inode -> local address of this process's listening TCP sockets."""
    mine = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            mine.add(target[8:-1])
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table, encoding="ascii") as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and inode in mine:
                    found[inode] = local
    return found


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux /proc to list sockets")
def test_every_listening_socket_is_bound_to_loopback() -> None:
    before = set(_listening_sockets())
    with KubeEmulator() as emu, KubeEmulator(tls=False, name="second"):
        now = _listening_sockets()
        new = {inode: addr for inode, addr in now.items() if inode not in before}
        assert len(new) == 2
        port = f"{emu.port:04X}"
        assert any(addr.endswith(f":{port}") for addr in new.values())
        for addr in new.values():
            assert addr.split(":")[0] == "0100007F", addr  # 127.0.0.1, never 0.0.0.0
