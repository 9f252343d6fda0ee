"""What a fresh GKE cluster already contains before anyone applies anything.

System namespaces, the nodes, StorageClasses (``standard-rwo`` is the default unless the
``no_default_storageclass`` fault is on), the system priority classes, the
``default/kubernetes`` Service, and kube-system workloads with modest requests (about
170m/185Mi per node plus ~330m/330Mi for the cluster add-ons) so that capacity checks
behave like on a real cluster. System pods use the system-*-critical priority classes, so
they always find room, as their reserved capacity does on GKE.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.defaults import DEFAULT_CLASS_ANNOTATION
from kfwizard.emulator.kube.nodes import NodeSpec, node_object
from kfwizard.emulator.kube.store import Obj, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
KUBERNETES_SERVICE_IP = "34.118.224.1"
DEFAULT_CLASS = "standard-rwo"


def _container(name: str, image: str, cpu: str, memory: str) -> dict[str, Any]:
    requests = {}
    if cpu:
        requests["cpu"] = cpu
    if memory:
        requests["memory"] = memory
    return {"name": name, "image": image, "resources": {"requests": requests} if requests else {}}


# name -> (kind, priority class, containers); replicas for Deployments are computed.
_ADDONS: dict[str, tuple[str, str, list[dict[str, Any]]]] = {
    "fluentbit-gke": (
        "DaemonSet",
        "system-node-critical",
        [
            _container("fluentbit", "gke.gcr.io/fluent-bit:v1.8.12-gke.40", "50m", "100Mi"),
        ],
    ),
    "gke-metrics-agent": (
        "DaemonSet",
        "system-node-critical",
        [
            _container(
                "gke-metrics-agent", "gke.gcr.io/gke-metrics-agent:1.15.5-gke.0", "8m", "65Mi"
            ),
        ],
    ),
    "pdcsi-node": (
        "DaemonSet",
        "system-node-critical",
        [
            _container(
                "csi-driver-registrar",
                "gke.gcr.io/csi-node-driver-registrar:v2.13.0-gke.4",
                "5m",
                "10Mi",
            ),
            _container(
                "gce-pd-driver",
                "gke.gcr.io/gcp-compute-persistent-disk-csi-driver:v1.17.4-gke.0",
                "5m",
                "10Mi",
            ),
        ],
    ),
    "kube-dns": (
        "Deployment",
        "system-cluster-critical",
        [
            _container("kubedns", "gke.gcr.io/k8s-dns-kube-dns:1.26.1-gke.3", "100m", "70Mi"),
            _container("dnsmasq", "gke.gcr.io/k8s-dns-dnsmasq-nanny:1.26.1-gke.3", "100m", "20Mi"),
            _container("sidecar", "gke.gcr.io/k8s-dns-sidecar:1.26.1-gke.3", "10m", "20Mi"),
        ],
    ),
    "konnectivity-agent": (
        "Deployment",
        "system-cluster-critical",
        [
            _container("konnectivity-agent", "gke.gcr.io/proxy-agent:v0.32.1-gke.2", "10m", "30Mi"),
        ],
    ),
    "metrics-server-v1.33.0": (
        "Deployment",
        "system-cluster-critical",
        [
            _container("metrics-server", "gke.gcr.io/metrics-server:v0.7.2-gke.21", "48m", "105Mi"),
        ],
    ),
    "l7-default-backend": (
        "Deployment",
        "system-cluster-critical",
        [
            _container(
                "default-http-backend",
                "gke.gcr.io/ingress-gce-404-server-with-metrics:v1.32.2",
                "10m",
                "20Mi",
            ),
        ],
    ),
    "event-exporter-gke": (
        "Deployment",
        "system-cluster-critical",
        [
            _container("event-exporter", "gke.gcr.io/event-exporter:v0.4.0-gke.34", "3m", "15Mi"),
        ],
    ),
}


def _create(
    cluster: Cluster, group: str, version: str, plural: str, body: Obj, namespace: str = ""
) -> Obj | None:
    rt = cluster.discovery.lookup(group, version, plural)
    assert rt is not None
    try:
        return cluster.registry.create(rt, body, namespace, manager="gke")
    except errors.ApiError:
        return None


def storage_classes(no_default: bool) -> list[Obj]:
    def sc(name: str, disk: str, default: bool) -> Obj:
        annotations = {
            "components.gke.io/component-name": "pdcsi",
            "components.gke.io/component-version": "0.23.2",
        }
        if default:
            annotations[DEFAULT_CLASS_ANNOTATION] = "true"
        return {
            "metadata": {
                "name": name,
                "labels": {"addonmanager.kubernetes.io/mode": "EnsureExists"},
                "annotations": annotations,
            },
            "provisioner": "pd.csi.storage.gke.io",
            "parameters": {"type": disk},
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "Immediate",
            "allowVolumeExpansion": True,
        }

    return [
        sc("premium-rwo", "pd-ssd", False),
        sc("standard", "pd-standard", False),
        sc(DEFAULT_CLASS, "pd-balanced", not no_default),
    ]


def seed(cluster: Cluster, nodes: list[NodeSpec]) -> None:
    for name in SYSTEM_NAMESPACES:
        _create(cluster, "", "v1", "namespaces", {"metadata": {"name": name}})
    sync_nodes(cluster, nodes)
    for name, value, description in (
        (
            "system-cluster-critical",
            2000000000,
            "Used for system critical pods that must run in the cluster, "
            "but can be moved to another node if necessary.",
        ),
        (
            "system-node-critical",
            2000001000,
            "Used for system critical pods that must not be moved from their current node.",
        ),
    ):
        _create(
            cluster,
            "scheduling.k8s.io",
            "v1",
            "priorityclasses",
            {
                "metadata": {"name": name},
                "value": value,
                "globalDefault": False,
                "description": description,
            },
        )
    for body in storage_classes(cluster.faults.no_default_storageclass):
        _create(cluster, "storage.k8s.io", "v1", "storageclasses", body)
    _create(
        cluster,
        "",
        "v1",
        "services",
        {
            "metadata": {
                "name": "kubernetes",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "clusterIP": KUBERNETES_SERVICE_IP,
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}],
            },
        },
        "default",
    )
    _create(
        cluster,
        "",
        "v1",
        "endpoints",
        {
            "metadata": {
                "name": "kubernetes",
                "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
            },
            "subsets": [
                {
                    "addresses": [{"ip": "172.16.0.2"}],
                    "ports": [{"name": "https", "port": 443, "protocol": "TCP"}],
                }
            ],
        },
        "default",
    )
    for name, (kind, priority, containers) in _ADDONS.items():
        labels = {"k8s-app": name}
        template = {
            "metadata": {"labels": dict(labels)},
            "spec": {
                "priorityClassName": priority,
                "containers": copy.deepcopy(containers),
                "nodeSelector": {"kubernetes.io/os": "linux"},
            },
        }
        spec: dict[str, Any] = {"selector": {"matchLabels": dict(labels)}, "template": template}
        plural = "daemonsets" if kind == "DaemonSet" else "deployments"
        if kind == "Deployment":
            spec["replicas"] = min(2, len(nodes)) if name == "kube-dns" else 1
        _create(
            cluster,
            "apps",
            "v1",
            plural,
            {
                "metadata": {
                    "name": name,
                    "labels": {"addonmanager.kubernetes.io/mode": "Reconcile", **labels},
                },
                "spec": spec,
            },
            "kube-system",
        )


def _kube_proxy(cluster: Cluster, node: str) -> None:
    name = f"kube-proxy-{node}"
    if cluster.store.peek(("", "pods"), "kube-system", name) is not None:
        return
    node_obj = cluster.store.peek(("", "nodes"), "", node)
    if node_obj is None:
        return
    _create(
        cluster,
        "",
        "v1",
        "pods",
        {
            "metadata": {
                "name": name,
                "labels": {"component": "kube-proxy", "tier": "node"},
                "annotations": {
                    "kubernetes.io/config.mirror": meta(node_obj)["uid"],
                    "kubernetes.io/config.source": "file",
                },
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "kind": "Node",
                        "name": node,
                        "uid": meta(node_obj)["uid"],
                        "controller": True,
                    }
                ],
            },
            "spec": {
                "nodeName": node,
                "hostNetwork": True,
                "priorityClassName": "system-node-critical",
                "containers": [
                    _container(
                        "kube-proxy", f"gke.gcr.io/kube-proxy-amd64:v{cluster.version}", "100m", ""
                    )
                ],
            },
        },
        "kube-system",
    )


def sync_nodes(cluster: Cluster, specs: list[NodeSpec]) -> None:
    """Make the Node objects match ``specs``; pods on removed nodes are deleted (their
    controllers recreate them elsewhere)."""
    nodes_rt = cluster.discovery.lookup("", "v1", "nodes")
    pods_rt = cluster.discovery.lookup("", "v1", "pods")
    assert nodes_rt is not None and pods_rt is not None
    wanted = {spec.name: (index, spec) for index, spec in enumerate(specs)}
    for node in cluster.store.items(("", "nodes")):
        name = meta(node)["name"]
        if name not in wanted:
            for pod in cluster.store.items(("", "pods")):
                if (pod.get("spec") or {}).get("nodeName") == name:
                    try:
                        cluster.registry.delete(pods_rt, meta(pod)["namespace"], meta(pod)["name"])
                    except errors.ApiError:
                        pass
            cluster.registry.delete(nodes_rt, "", name)
    for name, (index, spec) in wanted.items():
        body = node_object(spec, index, cluster.version, cluster.zone, cluster.project)
        current = cluster.store.peek(("", "nodes"), "", name)
        if current is None:
            status = body.pop("status")  # the kubelet registers the node, then posts status
            created = cluster.registry.create(nodes_rt, body, manager="kubelet")
            cluster.registry.write_status(nodes_rt, created, status)
        else:
            updated = copy.deepcopy(current)
            updated["metadata"]["labels"] = body["metadata"]["labels"]
            status = copy.deepcopy(body["status"])
            status["conditions"] = (current.get("status") or {}).get("conditions") or status[
                "conditions"
            ]
            cluster.registry.update(nodes_rt, "", name, updated, check_rv=False)
            current = cluster.store.peek(("", "nodes"), "", name)
            if current is not None:
                cluster.registry.write_status(nodes_rt, current, status)
        _kube_proxy(cluster, name)


def set_default_class(cluster: Cluster, default: bool) -> None:
    """Fault edge: mark or unmark ``standard-rwo`` as the default class."""
    rt = cluster.discovery.lookup("storage.k8s.io", "v1", "storageclasses")
    assert rt is not None
    sc = cluster.store.peek(rt.key, "", DEFAULT_CLASS)
    if sc is None:
        return
    updated = copy.deepcopy(sc)
    annotations = updated["metadata"].setdefault("annotations", {})
    if default:
        annotations[DEFAULT_CLASS_ANNOTATION] = "true"
    else:
        annotations.pop(DEFAULT_CLASS_ANNOTATION, None)
    cluster.registry.update(rt, "", DEFAULT_CLASS, updated, check_rv=False)
