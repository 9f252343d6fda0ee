"""A small stdlib HTTP server that the Google API emulators share.

Why stdlib: the emulators must start in milliseconds, run in tests and in ``--demo``
alike, and answer exactly the JSON the official REST clients (and gcloud) expect. The
clients' own proto-plus types do the (de)serialisation; this module only routes, injects
faults and renders Google's error envelope (``{"error": {code, message, status,
details}}``), which ``google.api_core.exceptions.from_http_response`` turns into typed
exceptions with ``.reason``/``.domain``/``.metadata`` from a ``google.rpc.ErrorInfo``.

Gotchas handled here (see docs/emulators-feasibility.md): Nagle is disabled (keep-alive
clients otherwise pay ~40 ms per call), ``serve_forever`` polls every 50 ms so ``stop()``
is quick, handler threads are daemons, and every request body is drained.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from kfwizard.emulator.faults import Faults

LOOPBACK = "127.0.0.1"

# HTTP status -> the canonical google.rpc.Code name Google's front ends send with it.
STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# The legacy ``errors[].reason`` that v1 JSON errors still carry next to ``status``.
_LEGACY_REASONS: dict[int, str] = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "alreadyExists",
    429: "rateLimitExceeded",
    500: "backendError",
    503: "backendError",
}

# What Google's front ends say for injected transient failures.
_TRANSIENT_MESSAGES: dict[int, str] = {
    429: "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' "
    "of service '{service}'.",
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The request timed out. Please try again.",
}


class ApiError(Exception):
    """A Google API error answer. Raise it from a route handler."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        status: str | None = None,
        details: Iterable[dict[str, Any]] = (),
        legacy_reason: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_NAMES.get(code, "UNKNOWN")
        self.details = list(details)
        self.legacy_reason = legacy_reason or _LEGACY_REASONS.get(code, "failed")
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "errors": [{"message": self.message, "domain": "global", "reason": self.legacy_reason}],
            "status": self.status,
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}


def error_info(reason: str, domain: str, **metadata: str) -> dict[str, Any]:
    """A ``google.rpc.ErrorInfo`` detail, as JSON."""
    detail: dict[str, Any] = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": domain,
    }
    if metadata:
        detail["metadata"] = dict(metadata)
    return detail


def localized_message(message: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
        "locale": "en-US",
        "message": message,
    }


def help_links(*links: tuple[str, str]) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.Help",
        "links": [{"description": d, "url": u} for d, u in links],
    }


@dataclass
class Request:
    method: str
    path: str
    """The URL path, percent-decoded."""
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    """Named groups of the matched route."""

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except ValueError as exc:
            raise ApiError(400, f"Invalid JSON payload received. {exc}") from None
        if not isinstance(data, dict):
            raise ApiError(400, "Invalid JSON payload received. Expected an object.")
        return data

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def int_enums(self) -> bool:
        """The Python clients ask ``$alt=json;enum-encoding=int``; gcloud asks for names."""
        return "enum-encoding=int" in (self.arg("$alt") or "")


@dataclass
class Response:
    status: int = 200
    body: str | bytes | dict[str, Any] = ""
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def route(method: str, template: str, handler: Handler) -> Route:
    """A route from a template such as ``/v1/projects/{project}/zones/{zone}/clusters``.

    Placeholders match one path segment (no ``/``). A ``:verb`` suffix in the template is
    literal, as in Google's custom methods (``/services:batchEnable``).
    """
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/:]+)", re.escape(template))
    return Route(method.upper(), re.compile(f"^{regex}$"), handler)


@dataclass
class LoggedRequest:
    method: str
    path: str
    status: int
    """0 when the connection was dropped on purpose."""


class EmulatorServer:
    """One loopback HTTP server: routes, faults, a request log.

    ``before_request`` runs under no lock before each routed call (the emulators use it
    to advance simulated time). ``service`` names the API in injected 429 messages.
    """

    def __init__(
        self,
        name: str,
        routes: list[Route],
        *,
        faults: Faults | None = None,
        service: str = "",
        port: int = 0,
        before_request: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.routes = routes
        self.faults = faults if faults is not None else Faults()
        self.service = service or name
        self.before_request = before_request
        self.log: deque[LoggedRequest] = deque(maxlen=2000)
        self._requested_port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        if self._httpd is not None:
            return
        handler = _make_handler(self)
        httpd = _Server((LOOPBACK, self._requested_port), handler)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"emulator-{self.name}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError(f"the {self.name} emulator is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the Python clients' ``api_endpoint``)."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        if self._httpd is None:
            raise RuntimeError(f"the {self.name} emulator is not running")
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    # -- dispatch -------------------------------------------------------------------
    def dispatch(self, req: Request) -> Response:
        allowed = False
        for candidate in self.routes:
            match = candidate.pattern.match(req.path)
            if not match:
                continue
            allowed = True
            if candidate.method != req.method:
                continue
            req.params = {k: unquote(v) for k, v in match.groupdict().items()}
            if self.before_request is not None:
                self.before_request()
            try:
                return candidate.handler(req)
            except ApiError as exc:
                return error_response(exc)
        if allowed:
            return error_response(ApiError(405, f"Method {req.method} not allowed."))
        return error_response(
            ApiError(404, f"The requested URL {req.path} was not found on this server.")
        )

    def injected_error(self, path: str) -> Response | None:
        code = self.faults.roll_error(path)
        if code is None:
            return None
        message = _TRANSIENT_MESSAGES.get(code, "Injected failure.").format(service=self.service)
        headers = {}
        if code in (429, 503):
            headers["Retry-After"] = _retry_after(self.faults.retry_after)
        return error_response(ApiError(code, message, headers=headers))


def error_response(exc: ApiError) -> Response:
    return Response(exc.code, exc.body(), exc.headers)


def _retry_after(seconds: float) -> str:
    # Retry-After is whole seconds on the wire; 0 tells clients "retry now".
    return str(max(0, round(seconds)))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def _make_handler(server: EmulatorServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        server_version = "kfwizard-emulator"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and TUI
            return

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            if server.faults.roll_drop():
                server.log.append(LoggedRequest(self.command, path, 0))
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            response = server.injected_error(path)
            if response is None:
                req = Request(
                    method=self.command,
                    path=path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                try:
                    response = server.dispatch(req)
                except Exception as exc:  # a bug in an emulator must not hang a client
                    response = error_response(ApiError(500, f"Emulator error: {exc!r}"))
            server.log.append(LoggedRequest(self.command, path, response.status))
            self._send(response)

        def _send(self, response: Response) -> None:
            payload = response.body
            content_type = "application/json; charset=UTF-8"
            if isinstance(payload, dict):
                data = json.dumps(payload).encode()
            elif isinstance(payload, str):
                data = payload.encode()
                if not payload.lstrip().startswith(("{", "[")):
                    content_type = "text/plain; charset=UTF-8"
            else:
                data = payload
            self.send_response(response.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    return _Handler
