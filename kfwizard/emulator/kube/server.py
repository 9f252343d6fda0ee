"""The HTTP(S) front of the emulator: connection handling, fault injection, and the
three answer shapes (a plain reply, a chunked watch stream, a websocket upgrade).

Wire details that clients depend on (see docs/emulators-feasibility.md): HTTP/1.1 with
keep-alive, Nagle disabled (otherwise ~40 ms per request), every request body drained
(kubectl sends one with DELETE), ``serve_forever(poll_interval=0.05)`` so stop is quick,
daemon threads so open watches never block exit, and ALPN limited to http/1.1 so Go
clients do not try HTTP/2. The TLS handshake happens in the connection's own thread.

Faults apply to every request before routing: ``drop_rate`` closes the connection
without an answer; ``error_rate``/``fail_paths`` answer 429/500/503 as a Status (with
``Retry-After`` on 429 and 503).
"""

from __future__ import annotations

import json
import select
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from queue import Empty
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.portforward import (
    PortForwardSession,
    WebSocket,
    accept_key,
    choose_protocol,
)
from kfwizard.emulator.kube.wire import PortForwardPlan, Reply, Request, WatchPlan

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

LOOPBACK = "127.0.0.1"
DEFAULT_WATCH_SECONDS = 1800.0
_FAULT_MESSAGES = {
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: (
        "InternalError",
        "Internal error occurred: the kfwizard emulator injected a server error",
    ),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    401: ("Unauthorized", "Unauthorized"),
}


class KubeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, port: int, cluster: Cluster, ssl_context: ssl.SSLContext | None) -> None:
        self.cluster = cluster
        self.ssl_context = ssl_context
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__((LOOPBACK, port), KubeHandler)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        with self.connections_lock:
            self.connections.add(sock)
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.connections_lock:
            conns = list(self.connections)
            self.connections.clear()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client hang-ups and TLS handshake failures are normal for an emulator."""


class KubeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "kfwizard-kube-emulator"
    sys_version = ""
    server: KubeHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # -- request plumbing ------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        cluster = self.server.cluster
        body = self._read_body()
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        faults = cluster.faults
        if faults.roll_drop():
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        code = faults.roll_error(unquote(self.path))
        if code is None and faults.anonymous_refused and not self.headers.get("Authorization"):
            code = 401
        if code is not None:
            self._send(self._fault_reply(code, faults.retry_after))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(self.command, split.path, query, headers, body)
        result = cluster.rest.handle(req)
        if isinstance(result, WatchPlan):
            self._stream(result)
        elif isinstance(result, PortForwardPlan):
            self._upgrade(result)
        else:
            self._send(result)

    @staticmethod
    def _fault_reply(code: int, retry_after: float) -> Reply:
        reason, message = _FAULT_MESSAGES.get(code, ("InternalError", f"injected error {code}"))
        err = errors.ApiError(code, message, reason=reason)
        if code in (429, 503):
            seconds = max(0, round(retry_after))
            err.headers["Retry-After"] = str(seconds)
            err.details = {"retryAfterSeconds": seconds}
        return Reply.error(err)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.code)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Cache-Control", "no-cache, private")
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if reply.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)
        self.wfile.flush()

    # -- watch ---------------------------------------------------------------------------------
    def _client_gone(self) -> bool:
        """True if the client closed (or wrote to) the connection during a watch."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
        except (OSError, ValueError):
            return True
        # A watching client never writes; readable means EOF, a TLS close or garbage.
        return bool(readable)

    def _stream(self, plan: WatchPlan) -> None:
        store = self.server.cluster.store
        rt = plan.rt
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Cache-Control", "no-cache, private")
            self.end_headers()

            def emit(event_type: str, obj: dict[str, Any]) -> None:
                line = (
                    json.dumps(
                        {
                            "type": event_type,
                            "object": {**obj, "apiVersion": rt.api_version, "kind": rt.kind},
                        },
                        separators=(",", ":"),
                    ).encode()
                    + b"\n"
                )
                self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
                self.wfile.flush()

            for event_type, obj in plan.initial:
                emit(event_type, obj)
            if plan.bookmark_rv is not None:
                emit(
                    "BOOKMARK",
                    {
                        "metadata": {
                            "resourceVersion": str(plan.bookmark_rv),
                            "annotations": {"k8s.io/initial-events-end": "true"},
                        }
                    },
                )
            deadline = time.monotonic() + (
                plan.timeout if plan.timeout is not None else DEFAULT_WATCH_SECONDS
            )
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = plan.watcher.queue.get(timeout=min(remaining, 0.25))
                except Empty:
                    if self._client_gone():
                        self.close_connection = True
                        return
                    continue
                if item is None:
                    self.close_connection = True
                    break
                emit(*item)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True
        finally:
            store.unwatch(plan.watcher)

    # -- port-forward --------------------------------------------------------------------------
    def _upgrade(self, plan: PortForwardPlan) -> None:
        key = self.headers.get("Sec-WebSocket-Key")
        if not key or self.headers.get("Upgrade", "").lower() != "websocket":
            self._send(Reply.error(errors.bad_request("Upgrade request required")))
            return
        protocol = choose_protocol(self.headers.get("Sec-WebSocket-Protocol", ""))
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept_key(key))
        if protocol:
            self.send_header("Sec-WebSocket-Protocol", protocol)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        streams: Any = (self.rfile, self.wfile)
        session = PortForwardSession(
            self.server.cluster, plan.pod, plan.ports, WebSocket(*streams), protocol
        )
        try:
            session.run()
        except OSError:
            pass
