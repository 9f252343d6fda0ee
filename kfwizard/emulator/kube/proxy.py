"""The API server's proxy subresources: ``services/<name>[:<port>]/proxy/<path>`` and
``pods/<name>[:<port>]/proxy/<path>``.

A service proxy call picks a Ready pod behind the Service (its endpoints) and asks the
simulated server on the target port (``podservers``). Without a Ready pod the answer is
the real API server's ``503 no endpoints available for service "<name>"`` Status, which
is how the wizard sees that the KFP API is not up yet. The name may be
``name``, ``name:port`` or ``scheme:name:port`` (``:`` often arrives as ``%3A``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.discovery import ResourceType
from kfwizard.emulator.kube.endpoints import target_port
from kfwizard.emulator.kube.store import Obj
from kfwizard.emulator.kube.wire import Reply, Request

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster


def _split_name(spec: str) -> tuple[str, str]:
    parts = spec.split(":")
    if len(parts) == 3:
        return parts[1], parts[2]
    if len(parts) == 2:
        return parts[0], parts[1]
    return parts[0], ""


class ServiceProxy:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def handle(
        self, rt: ResourceType, namespace: str, name_spec: str, path: str, req: Request
    ) -> Reply:
        name, port_spec = _split_name(name_spec)
        query = "&".join(f"{k}={v}" for k, v in req.query.items())
        if rt.plural == "services":
            pod, port = self._service_backend(namespace, name, port_spec)
        elif rt.plural == "pods":
            pod, port = self._pod_backend(namespace, name, port_spec)
        else:
            raise errors.bad_request(f"the emulator does not proxy {rt.plural}")
        answer = self.cluster.pod_servers.answer(
            pod, port, req.method, "/" + path, query, req.headers, req.body
        )
        return Reply(answer.status, answer.body, answer.content_type, dict(answer.headers))

    def _service_backend(self, namespace: str, name: str, port_spec: str) -> tuple[Obj, int]:
        service = self.cluster.store.peek(("", "services"), namespace, name)
        if service is None:
            raise errors.not_found("services", "", name)
        ports = (service.get("spec") or {}).get("ports") or []
        chosen = None
        for port in ports:
            if not port_spec or port_spec in (str(port.get("port")), port.get("name")):
                chosen = port
                break
        unavailable = errors.ApiError(
            503, f'no endpoints available for service "{name}"', reason="ServiceUnavailable"
        )
        if chosen is None:
            raise unavailable
        backends = self.cluster.admission.ready_backends(service)
        for pod in backends:
            number = target_port(chosen, pod)
            if number is not None:
                return pod, number
        raise unavailable

    def _pod_backend(self, namespace: str, name: str, port_spec: str) -> tuple[Obj, int]:
        pod = self.cluster.store.peek(("", "pods"), namespace, name)
        if pod is None:
            raise errors.not_found("pods", "", name)
        if (pod.get("status") or {}).get("phase") != "Running":
            raise errors.ApiError(503, f'pod "{name}" is not running', reason="ServiceUnavailable")
        if port_spec.isdigit():
            return pod, int(port_spec)
        for container in (pod.get("spec") or {}).get("containers") or []:
            for port in container.get("ports") or []:
                if not port_spec or port.get("name") == port_spec:
                    return pod, int(port.get("containerPort"))
        return pod, 80
