"""A local port-forward to what a person opens after the install, like
``kubectl port-forward -n kubeflow svc/ml-pipeline-ui 8080:80`` (KFP) or
``kubectl port-forward svc/istio-ingressgateway -n istio-system 8080:80`` (the full
platform, behind its Dex login); :mod:`kfwizard.kube.access` chooses which.

A TCP listener on 127.0.0.1 (8080, or the next free port) hands each accepted
connection to its own websocket port-forward (``kubernetes.stream.portforward``) to a
Ready pod behind the target Service, and copies bytes both ways. It listens on loopback
only: the UI has no login in standalone KFP, so it must never be reachable from the
network. All threads are daemons, so a forgotten forwarder never keeps the process
alive.

The forwarder has its own ``ApiClient``: ``portforward`` temporarily replaces
``call_api`` on the client it is given, which would break requests other threads make
on a shared client; and opening a forward is serialised by a lock for the same reason.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Any

from kfwizard.kube.access import KFP_UI, ForwardTarget, forward_target, session_mode
from kfwizard.kube.client import KubeClients
from kfwizard.kube.errors import KubeFailure
from kfwizard.kube.objects import selector_string

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8080
PORTS_TO_TRY = 20
BUFFER = 64 * 1024


def _ready(pod: dict[str, Any]) -> bool:
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return str(cond.get("status")) == "True"
    return False


def bind_loopback(first: int = DEFAULT_PORT, tries: int = PORTS_TO_TRY) -> socket.socket:
    """A listening socket on 127.0.0.1: ``first``, the next free port, or any free port."""
    for port in [*range(first, first + tries), 0]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            sock.close()
            continue
        sock.listen(16)
        return sock
    raise KubeFailure(
        "No free local port to forward the UI to.",
        "close programs listening on 127.0.0.1:8080-8099 and try again",
    )


class PortForward:
    """``start()`` returns ``http://127.0.0.1:PORT``; ``stop()`` closes everything."""

    def __init__(
        self,
        clients: KubeClients,
        target: ForwardTarget = KFP_UI,
        *,
        local_port: int = DEFAULT_PORT,
    ) -> None:
        self.clients = clients
        self.target = target
        self.namespace = target.namespace
        self.service = target.service
        self.service_port = target.service_port
        self.local_port = local_port
        self.pod: str | None = None
        self.remote_port: int | None = None
        self.connections = 0
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._open_lock = threading.Lock()
        self._api: Any = None
        self._thread: threading.Thread | None = None

    @classmethod
    def for_session(cls, session: Any, clients: KubeClients) -> PortForward:
        """The forward for what the session installs: the full platform's gateway, or
        the KFP UI."""
        return cls(clients, forward_target(session_mode(session)))

    def line(self) -> str:
        """What is open where, and the login if there is one (once started)."""
        return self.target.line(self.url)

    # -- target --------------------------------------------------------------------------------
    def _target(self) -> tuple[str, int]:
        """A Ready pod selected by the Service, and the pod port behind ``service_port``."""
        from kfwizard.kube.rest import get_object, list_objects

        svc = get_object(self.clients, "v1", "Service", self.service, self.namespace)
        if svc is None:
            raise KubeFailure(
                f"Service {self.namespace}/{self.service} does not exist, so "
                "there is nothing to forward to.",
                "finish the install (the Install step) and try again",
            )
        spec = svc.get("spec") or {}
        selector = spec.get("selector") or {}
        target: Any = self.service_port
        for port in spec.get("ports") or []:
            if int(port.get("port", 0)) == self.service_port:
                target = port.get("targetPort", self.service_port)
        pods = (
            list_objects(
                self.clients,
                "v1",
                "Pod",
                namespace=self.namespace,
                label_selector=selector_string(selector),
            ).get("items")
            or []
        )
        ready = [p for p in pods if _ready(p)]
        if not ready:
            raise KubeFailure(
                f"No pod of Service {self.namespace}/{self.service} is Ready, so there is "
                "nothing to forward to.",
                f"check `kubectl get pods -n {self.namespace} -l "
                f"{selector_string(selector)}`, then try again",
            )
        pod = ready[0]
        if isinstance(target, str) and not target.isdigit():
            for container in (pod.get("spec") or {}).get("containers") or []:
                for cport in container.get("ports") or []:
                    if cport.get("name") == target:
                        target = cport.get("containerPort")
        return pod["metadata"]["name"], int(target)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> str:
        """Find the pod, bind 127.0.0.1, and start accepting; returns the local URL."""
        if self._listener is not None:
            return self.url
        from kubernetes.client import CoreV1Api

        self.pod, self.remote_port = self._target()
        self._api = CoreV1Api(self.clients.new_api_client())
        self._listener = bind_loopback(self.local_port)
        self._listener.settimeout(0.2)
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._accept_loop, daemon=True, name="kfwizard-port-forward"
        )
        self._thread.start()
        return self.url

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("not started")
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._listener = None
        self._thread = None
        if self._api is not None:
            with contextlib.suppress(Exception):
                self._api.api_client.close()
            self._api = None

    def __enter__(self) -> PortForward:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- connections -------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        listener = self._listener
        while not self._stop.is_set() and listener is not None:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(
                target=self._serve, args=(conn,), daemon=True, name="kfwizard-port-forward-conn"
            ).start()

    def _open(self) -> tuple[Any, Any]:
        from kubernetes.stream import portforward

        assert self.pod is not None and self.remote_port is not None
        with self._open_lock:
            try:
                forward = portforward(
                    self._api.connect_get_namespaced_pod_portforward,
                    self.pod,
                    self.namespace,
                    ports=str(self.remote_port),
                )
            except Exception:
                # The pod may have been replaced: pick a Ready one and try once more.
                self.pod, self.remote_port = self._target()
                forward = portforward(
                    self._api.connect_get_namespaced_pod_portforward,
                    self.pod,
                    self.namespace,
                    ports=str(self.remote_port),
                )
        return forward, forward.socket(self.remote_port)

    def _serve(self, conn: socket.socket) -> None:
        forward = remote = None
        try:
            forward, remote = self._open()
            remote.setblocking(True)
            conn.setblocking(True)
            self._pump(conn, remote)
        except Exception:
            pass
        finally:
            for sock in (conn, remote):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.close()
            if forward is not None:
                with contextlib.suppress(Exception):
                    forward.close()

    def _pump(self, local: socket.socket, remote: Any) -> None:
        """Copy bytes both ways until the pod side closes (or the forwarder stops).

        A half-close from the local client is not passed on: the client library closes
        the whole pod-side channel on EOF, which would drop the answer still in flight.
        """
        reading: list[Any] = [local, remote]
        while reading and not self._stop.is_set():
            readable, _, _ = select.select(reading, [], [], 0.5)
            for sock in readable:
                try:
                    data = sock.recv(BUFFER)
                except OSError:
                    return
                if not data:
                    if sock is remote:
                        return
                    reading.remove(sock)
                    continue
                (remote if sock is local else local).sendall(data)


UiPortForward = PortForward
"""The name the headless ``kfwizard run --port-forward`` uses."""
