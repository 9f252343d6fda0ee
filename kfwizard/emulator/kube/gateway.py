"""The full Kubeflow platform's front door, as a port-forward to its Istio ingress
gateway (``istio-ingressgateway:8080``) meets it: the gateway, oauth2-proxy, Dex and the
central dashboard, enough to walk the login kubeflow-manifests' ``dex_login_test.py``
walks (kubeflow-manifests.md §9).

- The gateway routes by the cluster's VirtualServices bound to a gateway (the longest
  matching ``uri.prefix``, with its ``rewrite.uri``) to a Ready pod behind the
  destination Service. No Ready pod is Envoy's ``503 no healthy upstream``; no route,
  its bare 404.
- Every path but ``/dex/`` and ``/oauth2/`` (AuthorizationPolicy
  ``istio-ingressgateway-oauth2-proxy``) needs oauth2-proxy's session cookie
  ``oauth2_proxy_kubeflow``. Without it the answer is a 302 to
  ``/oauth2/start?rd=PATH``, which sends the browser on to Dex (``/dex/auth`` →
  ``/dex/auth/local/login``). The form takes the release's default user; a good login
  goes back through ``/oauth2/callback``, which sets the cookie, and requests then reach
  their backend with ``kubeflow-userid`` set to the user's email, as the gateway's
  RequestAuthentication does.
- The central dashboard (``centraldashboard:8082``) is a small page that says it is
  emulated: the user, their namespace (the Profile they own) and the way to Pipelines;
  ``/api/workgroup/env-info`` answers like the real one.

Dex checks the documented default password, not the bcrypt hash in Secret
``auth/dex-passwords``; logins live in memory, so a restarted emulator asks again.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlencode

from kfwizard.emulator.kube.endpoints import target_port
from kfwizard.emulator.kube.podservers import HttpAnswer
from kfwizard.emulator.kube.store import Obj, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster
    from kfwizard.emulator.kube.podservers import PodServers

COOKIE = "oauth2_proxy_kubeflow"
DEX_USER = "user@example.com"
DEX_PASSWORD = "12341234"
"""The release's default login (its README; the Secret holds only its bcrypt hash)."""
CLIENT_ID = "kubeflow-oidc-authservice"
OPEN_PATHS = ("/dex/", "/oauth2/")
"""What the gateway lets through without a login (the oauth2-proxy policy's notPaths)."""
USER_HEADER = "kubeflow-userid"
HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

STYLE = """
body { font-family: sans-serif; margin: 0; color: #202124; }
.emulated { background: #fff3cd; border-bottom: 2px solid #e0a800; padding: 10px 16px; }
header, main { padding: 8px 24px; }
header { background: #1a73e8; color: #fff; }
header a { color: #fff; }
form { max-width: 360px; }
label { display: block; margin-top: 12px; }
input { width: 100%; padding: 6px; }
.error { color: #c5221f; }
"""
BANNER = (
    '<div class="emulated" role="note"><b>Emulated by kfwizard --demo.</b> '
    "This page stands in for {what}; kfwizard's Kubernetes emulator serves it, and no "
    "real Kubeflow runs behind it.</div>"
)


def page(title: str, what: str, body: str) -> bytes:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{BANNER.format(what=what)}\n{body}\n</body>\n</html>\n"
    ).encode()


def cookie_of(headers: dict[str, str]) -> str:
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return ""


@dataclass
class Route:
    namespace: str
    service: str
    port: int | None
    path: str


class KubeflowWeb:
    """The gateway and the servers behind it; one per cluster, holding the logins
    (Dex's pending requests and codes, oauth2-proxy's sessions)."""

    def __init__(self, cluster: Cluster, servers: PodServers) -> None:
        self.cluster = cluster
        self.servers = servers
        self._lock = threading.Lock()
        self._starts: dict[str, str] = {}
        """oauth2-proxy: state -> where to go after the login."""
        self._requests: dict[str, tuple[str, str]] = {}
        """Dex: auth request id -> (the client's state, its redirect_uri)."""
        self._codes: dict[str, str] = {}
        """Dex: code -> user."""
        self._sessions: dict[str, str] = {}
        """oauth2-proxy: cookie value -> user."""

    # -- the gateway ----------------------------------------------------------------------------
    def gateway(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> HttpAnswer:
        user = None
        if not path.startswith(OPEN_PATHS):
            user = self.user_of(headers)
            if user is None:
                if self._backend("oauth2-proxy", "oauth2-proxy", None) is None:
                    # ext-authz cannot ask oauth2-proxy: Envoy denies.
                    return HttpAnswer(403, b"RBAC: access denied", TEXT)
                wanted = path + (f"?{query}" if query else "")
                return redirect(f"/oauth2/start?rd={quote(wanted, safe='')}")
        route = self.route(path)
        if route is None:
            return HttpAnswer(404, b"", TEXT)
        backend = self._backend(route.namespace, route.service, route.port)
        if backend is None:
            return HttpAnswer(503, b"no healthy upstream", TEXT)
        pod, port = backend
        sent = {k: v for k, v in headers.items() if k != USER_HEADER}
        if user is not None:
            sent[USER_HEADER] = user
        return self.servers.answer(pod, port, method, route.path, query, sent, body)

    def route(self, path: str) -> Route | None:
        """The VirtualService route for ``path``: the longest matching prefix wins."""
        best: tuple[int, Route] | None = None
        for vs in self.cluster.store.items(("networking.istio.io", "virtualservices")):
            spec = vs.get("spec") or {}
            if not [g for g in spec.get("gateways") or [] if g != "mesh"]:
                continue  # mesh-only: not reachable through the ingress gateway
            for http in spec.get("http") or []:
                for match in http.get("match") or [{}]:
                    prefix = _matched(match.get("uri") or {}, path)
                    if prefix is None:
                        continue
                    found = self._destination(vs, http, prefix, path)
                    if found is not None and (best is None or len(prefix) > best[0]):
                        best = (len(prefix), found)
        return best[1] if best else None

    def _destination(self, vs: Obj, http: dict[str, Any], prefix: str, path: str) -> Route | None:
        routes = http.get("route") or []
        if not routes:
            return None
        destination = routes[0].get("destination") or {}
        host = str(destination.get("host") or "")
        name, _, rest = host.partition(".")
        namespace = rest.partition(".")[0] or meta(vs).get("namespace", "")
        port = (destination.get("port") or {}).get("number")
        rewrite = (http.get("rewrite") or {}).get("uri")
        if rewrite is not None:
            path = rewrite + path[len(prefix) :]
        return Route(namespace, name, int(port) if port else None, path)

    def _backend(self, namespace: str, name: str, port: int | None) -> tuple[Obj, int] | None:
        """A Ready pod behind the Service and its port number, or None."""
        service = self.cluster.store.peek(("", "services"), namespace, name)
        if service is None:
            return None
        ports = (service.get("spec") or {}).get("ports") or []
        chosen = next((p for p in ports if port is None or p.get("port") == port), None)
        if chosen is None:
            return None
        for pod in self.cluster.admission.ready_backends(service):
            number = target_port(chosen, pod)
            if number is not None:
                return pod, number
        return None

    def user_of(self, headers: dict[str, str]) -> str | None:
        with self._lock:
            return self._sessions.get(cookie_of(headers))

    # -- oauth2-proxy ---------------------------------------------------------------------------
    def oauth2_proxy(
        self, method: str, path: str, query: str, headers: dict[str, str]
    ) -> HttpAnswer:
        args = {k: v[0] for k, v in parse_qs(query).items()}
        if path == "/oauth2/start":
            state = secrets.token_urlsafe(16)
            with self._lock:
                self._starts[state] = args.get("rd") or "/"
            login = urlencode(
                {
                    "client_id": CLIENT_ID,
                    "redirect_uri": "/oauth2/callback",
                    "response_type": "code",
                    "scope": "openid profile email groups offline_access",
                    "state": state,
                }
            )
            return redirect(f"/dex/auth?{login}")
        if path == "/oauth2/callback":
            with self._lock:
                user = self._codes.pop(args.get("code", ""), None)
                back = self._starts.pop(args.get("state", ""), None)
                if user is None or back is None:
                    return HttpAnswer(
                        403,
                        page(
                            "Forbidden",
                            "oauth2-proxy",
                            "<main><h1>403 Forbidden</h1><p>Login Failed: the login is "
                            'unknown or expired. <a href="/">Start again</a>.</p></main>',
                        ),
                        HTML,
                    )
                cookie = secrets.token_urlsafe(24)
                self._sessions[cookie] = user
            if not back.startswith("/") or back.startswith("//"):
                back = "/"
            return redirect(back, cookie=f"{COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax")
        if path == "/oauth2/sign_out":
            with self._lock:
                self._sessions.pop(cookie_of(headers), None)
            return redirect(
                args.get("rd") or "/",
                cookie=f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
            )
        if path == "/oauth2/auth":
            return HttpAnswer(202 if self.user_of(headers) else 401, b"", TEXT)
        if path == "/ping":
            return HttpAnswer(200, b"OK", TEXT)
        return HttpAnswer(404, b"404 page not found\n", TEXT)

    # -- Dex ------------------------------------------------------------------------------------
    def dex(self, method: str, path: str, query: str, body: bytes) -> HttpAnswer:
        args = {k: v[0] for k, v in parse_qs(query).items()}
        if path == "/dex/healthz":
            return HttpAnswer(200, b"Health check passed", TEXT)
        if path == "/dex/auth":
            if args.get("client_id") != CLIENT_ID:
                return dex_error("Unregistered redirect_uri or unknown client.")
            request = secrets.token_urlsafe(12)
            with self._lock:
                self._requests[request] = (
                    args.get("state", ""),
                    args.get("redirect_uri", "/oauth2/callback"),
                )
            return redirect(f"/dex/auth/local/login?back=&state={request}")
        if path == "/dex/auth/local/login":
            request = args.get("state", "")
            with self._lock:
                pending = self._requests.get(request)
            if pending is None:
                return dex_error("Requested resource does not exist.")
            if method != "POST":
                return HttpAnswer(200, login_page(request), HTML)
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            login = form.get("login", "")
            if login != DEX_USER or form.get("password") != DEX_PASSWORD:
                return HttpAnswer(
                    200,
                    login_page(request, login, "Invalid Email Address and password."),
                    HTML,
                )
            code = secrets.token_urlsafe(16)
            with self._lock:
                self._requests.pop(request, None)
                self._codes[code] = login
            state, redirect_uri = pending
            return redirect(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", 303)
        return HttpAnswer(404, b"404 page not found\n", TEXT)

    # -- the central dashboard ----------------------------------------------------------------
    def dashboard(self, path: str, headers: dict[str, str]) -> HttpAnswer:
        user = headers.get(USER_HEADER, "")
        namespaces = self.namespaces_of(user) if user else []
        if path in ("/healthz", "/healthz/liveness", "/healthz/readiness"):
            return HttpAnswer(200, b"OK", TEXT)
        if path == "/api/workgroup/env-info":
            if not user:
                return HttpAnswer.json(401, {"error": "no user in header kubeflow-userid"})
            return HttpAnswer.json(
                200,
                {
                    "user": user,
                    "platform": {"provider": "gce://kfwizard-demo", "providerName": "gce"},
                    "namespaces": [
                        {"namespace": ns, "role": "owner", "user": user} for ns in namespaces
                    ],
                    "isClusterAdmin": False,
                },
            )
        if path.startswith("/api/"):
            return HttpAnswer(404, json.dumps({"error": "not emulated"}).encode())
        if not user:
            body = (
                "<main><h1>Kubeflow Central Dashboard</h1><p>No user: this page is "
                "reached through the Istio gateway, which adds the logged-in user.</p></main>"
            )
        else:
            listed = ", ".join(html.escape(ns) for ns in namespaces) or "none yet"
            body = (
                '<header><h1>Kubeflow</h1><p>Logged in with Dex as <b id="user">'
                f"{html.escape(user)}</b> · "
                '<a href="/oauth2/sign_out">Log out</a></p></header>\n'
                "<main>\n<h2>Central Dashboard</h2>\n"
                f'<p>Your namespace: <b id="namespace">{listed}</b></p>\n'
                '<ul>\n<li><a href="/pipeline/">Pipelines</a> (the KFP UI)</li>\n</ul>\n'
                "<p>Notebooks, Katib, KServe and the other apps are not emulated.</p>\n"
                "</main>"
            )
        return HttpAnswer(
            200, page("Kubeflow Central Dashboard", "the Kubeflow central dashboard", body), HTML
        )

    def namespaces_of(self, user: str) -> list[str]:
        """The Profiles the user owns (a Profile's name is its namespace's)."""
        return sorted(
            meta(p).get("name", "")
            for p in self.cluster.store.items(("kubeflow.org", "profiles"))
            if ((p.get("spec") or {}).get("owner") or {}).get("name") == user
        )


def _matched(uri: dict[str, Any], path: str) -> str | None:
    """The part of ``path`` a VirtualService's ``uri`` match took, or None (regex
    matches are not emulated)."""
    if not uri:
        return ""
    if "exact" in uri:
        return str(uri["exact"]) if path == uri["exact"] else None
    if "prefix" in uri:
        return str(uri["prefix"]) if path.startswith(str(uri["prefix"])) else None
    return None


def redirect(location: str, status: int = 302, cookie: str = "") -> HttpAnswer:
    headers = {"Location": location}
    if cookie:
        headers["Set-Cookie"] = cookie
    return HttpAnswer(status, b"", HTML, headers)


def dex_error(message: str) -> HttpAnswer:
    body = f"<main><h2>Bad Request</h2><p>{html.escape(message)}</p></main>"
    return HttpAnswer(400, page("dex", "the Dex login", body), HTML)


def login_page(request: str, login: str = "", error: str = "") -> bytes:
    """Dex's password form (its theme's words), posting back to itself."""
    action = f"/dex/auth/local/login?back=&amp;state={html.escape(request)}"
    failed = f'<p class="error" id="login-error">{html.escape(error)}</p>' if error else ""
    body = (
        "<main>\n<h2>Log in to Your Account</h2>\n"
        f'<form method="post" action="{action}">\n{failed}\n'
        '<label for="login">Email Address</label>\n'
        f'<input id="login" name="login" type="text" value="{html.escape(login)}" '
        'placeholder="email address" autofocus required>\n'
        '<label for="password">Password</label>\n'
        '<input id="password" name="password" type="password" placeholder="password" '
        "required>\n"
        '<p><button type="submit" id="submit-login">Login</button></p>\n</form>\n'
        f"<p>The release's default login is {DEX_USER}, password {DEX_PASSWORD}: on a "
        "real install, change it.</p>\n</main>"
    )
    return page("dex", "the Dex login of the full Kubeflow platform", body)
