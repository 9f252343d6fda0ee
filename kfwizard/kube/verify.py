"""Is the install usable? Health checks a newcomer can trust (P10, P12).

"Pods Running" is not proof: most KFP Deployments have no readiness probe, and the UI's
healthz answers 200 even when the API server is down. So we ask the API server itself
for its health through the Kubernetes API server's **service proxy** (the same request
as ``kubectl get --raw /api/v1/namespaces/kubeflow/services/ml-pipeline:8888/proxy/...``;
no port-forward, no extra credentials), check that the version it reports is the one we
installed, fetch the UI page and the UI's own view of the API (``apiServerReady``), and,
where the mode has one, wait for the inverse proxy's public URL.

Default credentials are *named*, never shown: where they live and how to read them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from kfwizard.kube.access import (
    DEX_DEFAULT_PASSWORD,
    DEX_USER,
    GATEWAY,
    KFP_UI,
    forward_target,
)
from kfwizard.kube.client import KubeClients
from kfwizard.kube.control import Control, Quiet
from kfwizard.kube.errors import WaitTimeout
from kfwizard.kube.rest import get_object, raw_get
from kfwizard.kube.retry import describe_error, is_retryable, status_of
from kfwizard.wording import clip

NAMESPACE = "kubeflow"
API_SERVICE = ("ml-pipeline", 8888)
UI_SERVICE = ("ml-pipeline-ui", 80)
INVERSE_PROXY_CONFIGMAP = "inverse-proxy-config"
PROXY_AGENT = "proxy-agent"


@dataclass
class Check:
    """One verification result with the evidence behind it."""

    name: str
    state: str
    """pass | warn | fail | skipped"""
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "message": self.message,
            "evidence": self.evidence,
        }


@dataclass
class VerifyReport:
    checks: list[Check] = field(default_factory=list)
    api: dict[str, Any] = field(default_factory=dict)
    ui: dict[str, Any] = field(default_factory=dict)
    public_url: str | None = None
    public_url_note: str = ""
    sdk_line: str = ""
    credentials_hint: list[dict[str, Any]] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.state == "fail"]

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)


def proxy_path(namespace: str, service: str, port: int, path: str) -> str:
    """The API server's service-proxy path for ``service:port`` + ``path``."""
    return f"/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy/{path.lstrip('/')}"


def healthz_api_version(version: str) -> str:
    """``v2beta1`` for KFP 2.x, ``v1beta1`` for 1.x (2.x answers both)."""
    return "v1beta1" if str(version).lstrip("v").startswith(("0.", "1.")) else "v2beta1"


def same_version(reported: str | None, installed: str) -> bool:
    return str(reported or "").lstrip("v") == str(installed).lstrip("v")


def _poll_json(
    clients: KubeClients, path: str, *, timeout: float, control: Control, accept: Any = None
) -> tuple[dict[str, Any] | None, dict[str, Any], str]:
    """GET ``path`` until it answers JSON that ``accept`` likes.

    Returns (accepted answer or None, last JSON answer seen, last error text).
    """
    deadline = time.monotonic() + timeout
    last: dict[str, Any] = {}
    error = ""
    delay = 0.2
    while True:
        control.check_cancel()
        try:
            text = raw_get(clients, path, control=control, retry=False)
            data = json.loads(text)
            if isinstance(data, dict):
                last = data
                if accept is None or accept(data):
                    return data, data, ""
            error = f"unexpected answer: {clip(text, 200)}"
        except ValueError:
            error = "the answer was not JSON"
        except Exception as exc:
            if not (is_retryable(exc) or status_of(exc) in (404, 502, 503)):
                return None, last, describe_error(exc)
            error = describe_error(exc)
        if time.monotonic() + delay > deadline:
            return None, last, error
        control.sleep(delay)
        delay = min(delay * 2, 3.0)


def check_api(
    clients: KubeClients,
    version: str,
    *,
    namespace: str = NAMESPACE,
    timeout: float = 60.0,
    control: Control | None = None,
) -> tuple[Check, dict[str, Any]]:
    """The API server's healthz through the service proxy (``api``)."""
    control = control or Quiet()
    api = healthz_api_version(version)
    path = proxy_path(namespace, *API_SERVICE, f"apis/{api}/healthz")
    data, _, error = _poll_json(clients, path, timeout=timeout, control=control)
    if data is None:
        return Check(
            "api",
            "fail",
            f"The KFP API server (ml-pipeline) does not answer its health check: {error}.",
            {"path": path},
        ), {}
    evidence: dict[str, Any] = {
        k: data.get(k)
        for k in ("tag_name", "commit_sha", "multi_user", "pipeline_store")
        if k in data
    }
    return Check("api", "pass", "The API server answers its health check.", evidence), data


def check_api_version(healthz: dict[str, Any], version: str) -> Check:
    """``api-version``: the ``tag_name`` the API server reports must be the installed one."""
    tag = healthz.get("tag_name")
    evidence = {"tag_name": tag, "installed": version}
    if tag in (None, "", "unknown"):
        return Check(
            "api-version",
            "warn",
            f"The API server reports no version (tag_name={tag!r}); it is a development build.",
            evidence,
        )
    if str(tag).startswith("master") or str(tag) == "latest":
        return Check(
            "api-version",
            "fail",
            f"The API server reports version {tag} instead of {version}: these manifests pin "
            "the KFP images to the mutable :master tag (env/dev does so from 2.14), so this is "
            f"not the {version} release.",
            evidence,
        )
    if not same_version(tag, version):
        return Check(
            "api-version",
            "fail",
            f"The API server reports version {tag}, but {version} was installed: an older "
            "install is still running or the images are wrong.",
            evidence,
        )
    return Check("api-version", "pass", f"The API server reports version {tag}.", evidence)


def check_ui(
    clients: KubeClients,
    version: str,
    *,
    namespace: str = NAMESPACE,
    timeout: float = 30.0,
    control: Control | None = None,
) -> tuple[list[Check], dict]:
    """The UI's page and the UI's own view of the API (``apiServerReady``)."""
    control = control or Quiet()
    checks: list[Check] = []
    page_path = proxy_path(namespace, *UI_SERVICE, "")
    deadline = time.monotonic() + timeout
    html, error = "", ""
    while True:
        try:
            html = raw_get(clients, page_path, control=control, retry=False)
        except Exception as exc:
            error = describe_error(exc)
            html = ""
        if "<html" in html.lower() or "<!doctype" in html.lower():
            break
        if time.monotonic() >= deadline:
            break
        control.sleep(0.5)
    if html and ("<html" in html.lower() or "<!doctype" in html.lower()):
        title = ""
        low = html.lower()
        if "<title>" in low:
            start = low.index("<title>") + 7
            title = html[start : low.find("</title>", start)].strip()[:80]
        checks.append(
            Check(
                "ui",
                "pass",
                "The UI serves its page.",
                {"path": page_path, "title": title, "bytes": len(html)},
            )
        )
    else:
        checks.append(
            Check(
                "ui",
                "fail",
                f"The UI (ml-pipeline-ui) does not serve its page: "
                f"{error or 'the answer was not HTML'}.",
                {"path": page_path},
            )
        )
    health_path = proxy_path(namespace, *UI_SERVICE, "apis/v1beta1/healthz")
    data, last, error = _poll_json(
        clients,
        health_path,
        timeout=timeout,
        control=control,
        accept=lambda d: d.get("apiServerReady") is True,
    )
    if data is None:
        evidence = {
            "path": health_path,
            **({"apiServerReady": last.get("apiServerReady")} if last else {}),
        }
        why = "the UI says the API server is not ready" if last else error
        checks.append(
            Check(
                "ui-api",
                "fail",
                f"The UI can't reach the API server ({why}); "
                "the UI's healthz is 200 even then, so this is the check that "
                "counts.",
                evidence,
            )
        )
        return checks, last or {}
    evidence = {
        k: data.get(k)
        for k in ("apiServerReady", "apiServerTagName", "frontendTagName", "pipelineStore")
        if k in data
    }
    tag = data.get("apiServerTagName")
    if tag and tag != "unknown" and not same_version(tag, version):
        checks.append(
            Check(
                "ui-api",
                "warn",
                f"The UI reaches an API server of version {tag}, not {version}.",
                evidence,
            )
        )
    else:
        checks.append(
            Check(
                "ui-api",
                "pass",
                "The UI reaches the API server (apiServerReady is true).",
                evidence,
            )
        )
    return checks, data


def _proxy_agent_cannot_run(state: dict[str, Any]) -> bool:
    """True when waiting longer cannot help: the agent's pods are refused (Pod Security
    on 2.16+) or crash-loop (no GCE metadata off GKE). The reason is explained after."""
    for rs in (state.get("ReplicaSet") or {}).values():
        for cond in (rs.get("status") or {}).get("conditions") or []:
            if cond.get("type") == "ReplicaFailure" and cond.get("status") == "True":
                return True
    for pod in (state.get("Pod") or {}).values():
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") == "CrashLoopBackOff" and (cs.get("restartCount") or 0) >= 2:
                return True
    return False


def wait_public_url(
    clients: KubeClients,
    *,
    namespace: str = NAMESPACE,
    timeout: float = 120.0,
    control: Control | None = None,
) -> str | None:
    """The inverse proxy's ``https://…googleusercontent.com`` URL, watched for; or None.

    Returns None at once when proxy-agent cannot run, instead of waiting out the timeout
    for a URL that will never come.
    """
    from kfwizard.kube.watching import Watcher, WatchSpec

    control = control or Quiet()
    selector = f"app={PROXY_AGENT}"
    specs = [
        WatchSpec(
            "v1",
            "ConfigMap",
            namespace=namespace,
            field_selector=f"metadata.name={INVERSE_PROXY_CONFIGMAP}",
        ),
        WatchSpec("apps/v1", "ReplicaSet", namespace=namespace, label_selector=selector),
        WatchSpec("v1", "Pod", namespace=namespace, label_selector=selector),
    ]

    def hostname(state: dict[str, Any]) -> str:
        cm = state.get("ConfigMap", {}).get((namespace, INVERSE_PROXY_CONFIGMAP)) or {}
        return str((cm.get("data") or {}).get("Hostname") or "")

    watcher = Watcher(clients, specs, control)
    try:
        state = watcher.wait(
            lambda s: bool(hostname(s)) or _proxy_agent_cannot_run(s),
            timeout=timeout,
            what="the inverse proxy's Hostname",
        )
    except WaitTimeout:
        return None
    host = hostname(state)
    if not host:
        return None
    return host if host.startswith("http") else f"https://{host}"


def explain_missing_url(
    clients: KubeClients,
    *,
    namespace: str = NAMESPACE,
    control: Control | None = None,
    waited: float = 0.0,
) -> str:
    """Why there is no public URL: proxy-agent's state and its last log lines."""
    from kfwizard.kube.diagnose import collect, diagnose

    deploy = get_object(clients, "apps/v1", "Deployment", PROXY_AGENT, namespace, control=control)
    if deploy is None:
        return "proxy-agent is not installed, so there is no public URL."
    snapshot = collect(clients, [namespace], control=control, log_lines=5)
    found = [d for d in diagnose(snapshot) if d.workload == PROXY_AGENT]
    if found:
        return f"proxy-agent did not register a public URL: {found[0].cause}"
    logs = [
        line for key, lines in snapshot.logs.items() if f"/{PROXY_AGENT}" in key for line in lines
    ]
    if not logs:
        pods = [
            p
            for p in snapshot.pods
            if (p.get("metadata") or {}).get("name", "").startswith(PROXY_AGENT + "-")
        ]
        for pod in pods[:1]:
            from kfwizard.kube.diagnose import read_log

            containers = (pod.get("spec") or {}).get("containers") or [{}]
            logs = read_log(
                clients,
                namespace,
                pod["metadata"]["name"],
                str(containers[0].get("name") or PROXY_AGENT),
                5,
            )
    tail = f" Its last log lines: {' | '.join(logs[-3:])}" if logs else ""
    return (
        f"proxy-agent is running but wrote no Hostname in {waited:.0f} s; it registers "
        "with Google's inverse proxy, which only works on GKE nodes with access to the "
        f"metadata server and the cloud-platform scope.{tail}"
    )


CREDENTIAL_SECRETS: tuple[tuple[str, str, str], ...] = (
    ("mlpipeline-minio-artifact", "artifact store (MinIO/SeaweedFS) access keys", "accesskey"),
    ("mysql-secret", "MySQL user (root, with an empty password by default)", "username"),
)

DEX_PASSWORDS = ("auth", "dex-passwords")
"""Where the full platform's login lives (kubeflow-manifests.md §9): its password is a
bcrypt hash there, so the default is named from the docs, never read out."""

GATEWAY_FORWARD = GATEWAY.command
"""The full platform's front door: the ingress gateway sends every request through
oauth2-proxy and Dex (kubeflow-manifests.md §9)."""
UI_FORWARD = KFP_UI.command


def ui_forward_command(mode: str) -> str:
    """The port-forward a person opens the UI with (:func:`access.forward_target`): the
    Istio gateway for the full platform, ml-pipeline-ui itself for standalone KFP."""
    return forward_target(mode).command


def dex_login_hint(
    clients: KubeClients, *, control: Control | None = None
) -> dict[str, Any] | None:
    """The full platform's login, when its Secret is there: without it the user cannot
    open the dashboard at all, so it comes first. The default is public (the release's
    README), which is why it is named, and why the hint says to change it."""
    namespace, name = DEX_PASSWORDS
    try:
        secret = get_object(clients, "v1", "Secret", name, namespace, control=control)
    except Exception:
        secret = None
    if secret is None:
        return None
    return {
        "what": (
            f"the Dex login (user {DEX_USER}, password {DEX_DEFAULT_PASSWORD} by default: "
            "change it; its hash is key DEX_USER_PASSWORD)"
        ),
        "secret": f"{namespace}/{name}",
        "keys": ["DEX_USER_PASSWORD"],
        "how": (
            f"kubectl delete secret -n {namespace} {name}, create it again with a new "
            f"bcrypt hash, then kubectl delete pods -n {namespace} --all"
        ),
    }


def credentials_hint(
    clients: KubeClients,
    *,
    namespace: str = NAMESPACE,
    control: Control | None = None,
    mode: str = "kfp-standalone",
) -> list[dict[str, Any]]:
    """Where default credentials live (Secret and key names). Values are never read
    out; the full platform's Dex login comes first, with its public default."""
    hints = []
    if mode == "kubeflow":
        dex = dex_login_hint(clients, control=control)
        if dex is not None:
            hints.append(dex)
    for name, what, example_key in CREDENTIAL_SECRETS:
        if mode == "kfp-gcp" and name == "mysql-secret":
            what = "Cloud SQL user and the password you gave at the install"
        try:
            secret = get_object(clients, "v1", "Secret", name, namespace, control=control)
        except Exception:
            secret = None
        if secret is None:
            continue
        keys = sorted((secret.get("data") or {}).keys() | (secret.get("stringData") or {}).keys())
        key = example_key if example_key in keys else (keys[0] if keys else "KEY")
        hints.append(
            {
                "what": what,
                "secret": f"{namespace}/{name}",
                "keys": keys,
                "how": f"kubectl get secret -n {namespace} {name} -o jsonpath='{{.data.{key}}}' "
                "| base64 -d",
            }
        )
    return hints


def teardown_line(session_id: str, inventory: dict[str, Any] | None) -> str:
    """How to remove the install, and the clusters when the session created them.

    A plain ``kfwizard teardown`` keeps the cluster, running and billed, so "remove
    everything" must name ``--delete-cluster`` for a cluster the session created (it
    also deletes those the session created and moved away from); an adopted one needs
    its name confirmed too, and a kubeconfig context (no cluster recorded) is not
    kfwizard's to delete.
    """
    from kfwizard.engine.cluster_inventory import clusters_to_delete, remaining_cluster

    base = f"kfwizard teardown --session {session_id}"
    inventory = inventory or {}
    own = [str(c["name"]) for c in clusters_to_delete(inventory) if c.get("created_by_session")]
    current = remaining_cluster(inventory)
    name = current.get("name")
    if own:
        noun = "cluster" if len(own) == 1 else "clusters"
        line = f"Remove everything later, {noun} {', '.join(own)} included, with: {base} "
        line += "--delete-cluster"
        if name and not current.get("created_by_session"):
            line += f" (cluster {name} stays: add --confirm-name {name} to delete it too)"
        return line
    if name:
        return (
            f"Remove the install later with: {base} (cluster {name} stays: this session "
            f"did not create it; add --delete-cluster --confirm-name {name} to delete it too)"
        )
    return f"Remove the install later with: {base} (the cluster stays)"


def next_steps(
    sdk_line: str,
    public_url: str | None,
    version: str,
    session_id: str = "ID",
    *,
    mode: str = "kfp-standalone",
    inventory: dict[str, Any] | None = None,
) -> list[str]:
    """What to do now, for this mode. The full platform is reached through its Istio
    gateway and the Dex login, and its SDK client needs that login's session cookie
    (multi-user KFP refuses a request that names no user); standalone KFP has no login,
    so a forward to its UI is enough."""
    steps = []
    if public_url:
        steps.append(f"Open the UI at {public_url}")
    if mode == "kubeflow":
        steps.append(
            f"Open the Kubeflow dashboard locally: {GATEWAY_FORWARD}, then "
            f"http://localhost:8080 and log in with Dex as {DEX_USER}, password "
            f"{DEX_DEFAULT_PASSWORD}; change that default password (Secret "
            f"{'/'.join(DEX_PASSWORDS)})"
        )
    else:
        steps.append(
            f"Open the UI locally: {UI_FORWARD}, then http://localhost:8080 "
            "(kfwizard can start this for you)"
        )
    if sdk_line:
        steps.append(f"Install the matching SDK: {sdk_line}")
    if mode == "kubeflow":
        steps.append(
            "Connect from Python through the gateway, with the session cookie of your "
            'login: import kfp; client = kfp.Client(host="http://localhost:8080/pipeline", '
            'cookies="oauth2_proxy_kubeflow=COOKIE", namespace="kubeflow-user-example-com"); '
            "client.list_experiments()"
        )
    else:
        client_line = 'kfp.Client(host="http://localhost:8080")'
        steps.append(
            f"Connect from Python: import kfp; client = {client_line}; client.list_experiments()"
        )
    steps.append(
        "Run a sample pipeline from the UI's Pipelines page (the tutorials are preloaded)"
        if not str(version).startswith("1.")
        else "Run one of the preloaded sample pipelines from the UI"
    )
    steps.append(teardown_line(session_id, inventory))
    return steps
