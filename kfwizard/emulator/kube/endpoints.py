"""The endpoints controller: one core/v1 Endpoints object per Service with a selector,
listing Ready pods as ``addresses`` and the others as ``notReadyAddresses``.

Install scripts wait on these ("wait for endpoints/spark-operator-webhook-svc to have a
Pod address"); the service proxy and webhook simulation use the same notion of a Ready
backend. Services without a selector keep hand-written Endpoints untouched.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.podutil import is_ready, is_terminal
from kfwizard.emulator.kube.selectors import map_matcher
from kfwizard.emulator.kube.store import Obj, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

SERVICES = ("", "services")
ENDPOINTS = ("", "endpoints")
MANAGED_BY = "endpoints.kubernetes.io/managed-by"


def target_port(service_port: dict[str, Any], pod: Obj) -> int | None:
    """A Service port's targetPort as a number (named ports resolve on the pod)."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target:
                return int(port.get("containerPort"))
    return None


class EndpointsController:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def namespace(self, namespace: str, _: str = "") -> None:
        for service in self.cluster.store.items(SERVICES, namespace):
            self.service(namespace, meta(service)["name"])

    def service(self, namespace: str, name: str) -> None:
        cluster = self.cluster
        rt = cluster.discovery.lookup("", "v1", "endpoints")
        assert rt is not None
        service = cluster.store.peek(SERVICES, namespace, name)
        current = cluster.store.peek(ENDPOINTS, namespace, name)
        if service is None or not (service.get("spec") or {}).get("selector"):
            if current is not None and (meta(current).get("labels") or {}).get(MANAGED_BY):
                try:
                    cluster.registry.delete(rt, namespace, name)
                except errors.ApiError:
                    pass
            return
        if cluster.registry.namespace_state(namespace) != "Active":
            return
        match = map_matcher(service["spec"]["selector"])
        pods = sorted(
            (
                p
                for p in cluster.store.items(("", "pods"), namespace)
                if match(meta(p).get("labels") or {})
                and not is_terminal(p)
                and (p.get("status") or {}).get("podIP")
                and not meta(p).get("deletionTimestamp")
            ),
            key=lambda p: meta(p)["name"],
        )
        ready: list[dict[str, Any]] = []
        not_ready: list[dict[str, Any]] = []
        for pod in pods:
            address = {
                "ip": pod["status"]["podIP"],
                "nodeName": (pod.get("spec") or {}).get("nodeName", ""),
                "targetRef": {
                    "kind": "Pod",
                    "namespace": namespace,
                    "name": meta(pod)["name"],
                    "uid": meta(pod)["uid"],
                },
            }
            (ready if is_ready(pod) else not_ready).append(address)
        subsets = []
        if pods:
            ports = []
            for sp in service["spec"].get("ports") or []:
                number = target_port(sp, pods[0])
                if number is None:
                    continue
                entry = {"port": number, "protocol": sp.get("protocol", "TCP")}
                if sp.get("name"):
                    entry["name"] = sp["name"]
                ports.append(entry)
            subset: dict[str, Any] = {"ports": ports}
            if ready:
                subset["addresses"] = ready
            if not_ready:
                subset["notReadyAddresses"] = not_ready
            subsets.append(subset)
        labels = dict(meta(service).get("labels") or {})
        labels[MANAGED_BY] = "endpoint-controller"
        body: dict[str, Any] = {
            "metadata": {"name": name, "namespace": namespace, "labels": labels}
        }
        if subsets:
            body["subsets"] = subsets
        if current is None:
            try:
                cluster.registry.create(rt, body, namespace, manager="kube-controller-manager")
            except errors.ApiError:
                pass
            return
        if (
            current.get("subsets") == body.get("subsets")
            and (meta(current).get("labels") or {}) == labels
        ):
            return
        updated = copy.deepcopy(current)
        updated["metadata"]["labels"] = labels
        updated.pop("subsets", None)
        if subsets:
            updated["subsets"] = subsets
        cluster.registry.update(rt, namespace, name, updated, check_rv=False)
