"""Support bundles: one redacted .tar.gz with what a helper needs to see what went wrong.

It holds the session (choices, journal, inventory, outputs), its logs, which versions of
kfwizard, Python, kubectl and gcloud made it, the cluster and server versions, the
install namespace's Deployments, Pods and Events, the last log lines of failing pods, and
the diagnoses.

It never holds a token, a password or a Secret's value. Secrets are not collected at
all. ``metadata.managedFields`` and the ``last-applied-configuration`` annotation (the
whole object as applied, env values included, in one JSON string) are dropped. Values
under secret-looking keys, env vars with secret-looking names and the value after a
secret-looking flag (``--password x``) are masked; JSON held in a string is read and
masked the same way; and every text goes through :func:`kfwizard.engine.redact.redact`,
which masks secret-shaped values whatever their name (a URL's password, a PEM private
key, bearer and API tokens).

Bundles are made when something is broken, the cluster included, so reading it is
bounded: every request has a connect and a read timeout, the whole cluster part has one
deadline (:data:`CLUSTER_DEADLINE`), and a cluster the session knows is gone is not
dialled at all. The bundle is written whatever the cluster did, and says in one line why
its cluster part is missing.
"""

from __future__ import annotations

import io
import json
import os
import platform
import re
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kfwizard import __version__, paths
from kfwizard.engine.errors import BadInput
from kfwizard.engine.redact import MASK, SECRET_WORDS, redact
from kfwizard.session import Session, SessionStore

POD_LOG_LINES = 100

CONNECT_TIMEOUT = 5.0
"""Seconds to wait for the cluster's API to take a connection (and finish TLS)."""
READ_TIMEOUT = 15.0
"""Seconds to wait for one answer once connected."""
CLUSTER_DEADLINE = 60.0
"""Seconds for the whole cluster part; what was read by then goes in the bundle."""
TOOL_TIMEOUT = 15.0
"""Seconds for ``kubectl version`` or ``gcloud version`` to say which they are."""

SECRET_KEY = re.compile(rf"(?i)(?:{SECRET_WORDS})|(?:^|[^a-z])(?:pass|pwd)$")
"""A key whose value is a secret: ``password``, ``clientSecret``, ``api_key``,
``DB_PASS``. Not ``key`` alone: tolerations and ``secretKeyRef`` have one."""
REFERENCE_KEY = re.compile(
    r"(?i)(?:name|names|ref|path|file|dir|uri|url|seconds|count|kind|type|enabled)$"
)
"""A key that names or counts a secret rather than holding one (``secretName``,
``tokenPath``, ``tokenExpirationSeconds``): its value stays readable."""
SECRET_NAME = re.compile(
    rf"(?i)(?:{SECRET_WORDS}|passphrase)"
    r"|(?:^|[^a-z0-9])(?:key|pass|pwd|pw|auth)(?:[^a-z0-9]|$)"
)
"""An env var or flag name whose value is a secret: ``OPENAI_API_KEY``, ``MYSQL_PWD``,
``DB_PASS``, ``HF_TOKEN``, ``MY_SECRET_THING``, ``--api-key``, ``--password``."""
NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD"})
"""The shell's working folders, not passwords."""
SWITCHES = frozenset({"", "true", "false", "yes", "no"})
"""Values of on/off settings, never a secret."""
DROPPED_KEYS = frozenset({"managedFields"})
"""Bookkeeping of which client set which field: no help, and it names every field."""
DROPPED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
"""The whole object as ``kubectl apply`` sent it, env values included."""


def scrub(value: Any, key: str = "") -> Any:
    """A deep copy of ``value`` with secrets masked and strings redacted.

    Masked: scalars under secret-looking keys, the ``value`` of ``{name, value}`` pairs
    (env vars) with a secret-looking ``name``, and the item after a secret-looking flag
    in a list (``["--password", "x"]``). Dropped: ``managedFields`` and the
    last-applied-configuration annotation. A string holding JSON is scrubbed as JSON.
    """
    if isinstance(value, dict):
        return _scrub_dict(value, key)
    if isinstance(value, list):
        return _scrub_list(value, key)
    if isinstance(value, str):
        return _scrub_text(value)
    return value


def _scrub_dict(value: dict[Any, Any], key: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    env_name = str(value.get("name", "")) if "value" in value else ""
    for k, v in value.items():
        name = str(k)
        if name in DROPPED_KEYS or (key == "annotations" and name in DROPPED_ANNOTATIONS):
            continue
        if _is_secret_value(v) and (
            (
                SECRET_KEY.search(name)
                and not REFERENCE_KEY.search(name)
                and not _kind_count(name, v)
            )
            or (name == "value" and _secret_name(env_name))
        ):
            out[name] = MASK
        else:
            out[name] = scrub(v, name)
    return out


def _scrub_list(value: list[Any], key: str) -> list[Any]:
    out: list[Any] = []
    mask_next = False
    for item in value:
        if mask_next and isinstance(item, str) and item and not item.startswith("-"):
            out.append(MASK)
            mask_next = False
            continue
        out.append(scrub(item, key))
        mask_next = isinstance(item, str) and _is_secret_flag(item)
    return out


def _scrub_text(text: str) -> str:
    """Redacted text; JSON in a string (an event message, an env value holding a
    config) is read, scrubbed like any object and written back compactly."""
    stripped = text.strip()
    if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            pass
        else:
            if isinstance(parsed, (dict, list)):
                return json.dumps(scrub(parsed), separators=(", ", ": "))
    return redact(text)


def _is_secret_value(value: Any) -> bool:
    """A value worth masking: text or a number (a YAML ``password: 1234``), not empty
    and not a switch (``automountServiceAccountToken: true``,
    ``MYSQL_ALLOW_EMPTY_PASSWORD=yes``), which helps a reader and gives nothing away."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return False
    return str(value).strip().lower() not in SWITCHES


def _secret_name(name: str) -> bool:
    return bool(name) and name not in NOT_SECRET_NAMES and bool(SECRET_NAME.search(name))


def _is_secret_flag(item: str) -> bool:
    """``--password`` or ``--api-key``, without ``=value``: the next item is its value."""
    return bool(re.fullmatch(r"--?[A-Za-z][\w.-]*", item)) and _secret_name(item.lstrip("-"))


def _kind_count(key: str, value: Any) -> bool:
    """``Secret: 2`` in a count of objects by kind: a Kubernetes kind (capitalised)
    with a whole number is a count, not a secret (``password: 1234`` is lower case)."""
    return key[:1].isupper() and isinstance(value, int) and not isinstance(value, bool)


class BundleWriter:
    """Collects named files in memory, then writes them as one tar.gz (mode 0600).

    Thread-safe: the cluster is read in a thread that may still be waiting for an answer
    when the bundle is written; what it adds after :meth:`write` is dropped.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self.files: dict[str, bytes] = {}
        self.problems: list[str] = []
        self._lock = threading.Lock()
        self._closed = False

    def add_text(self, name: str, text: str) -> None:
        data = redact(text).encode("utf-8")
        with self._lock:
            if not self._closed:
                self.files[f"{self.root}/{name}"] = data

    def add_json(self, name: str, data: Any) -> None:
        self.add_text(name, json.dumps(scrub(data), indent=2, default=str) + "\n")

    def note(self, problem: str) -> None:
        """One line for ``collection-problems.txt``."""
        with self._lock:
            if not self._closed:
                self.problems.append(redact(problem))

    def collect(self, what: str, fn: Callable[[], None]) -> None:
        """Run one collector; a failure is noted in the bundle, never fatal."""
        try:
            fn()
        except Exception as exc:  # a broken cluster is exactly when bundles are made
            self.note(f"{what}: {one_line_cause(exc)}")

    def write(self, target: Path) -> Path:
        """Write the bundle to ``target``, whose folder must exist; a file that cannot be
        created there (``/proc``, no permission) is ``--output`` bad input, exit 2."""
        with self._lock:
            self._closed = True
            files = dict(self.files)
            if self.problems:
                text = redact("\n".join(self.problems) + "\n").encode("utf-8")
                files[f"{self.root}/collection-problems.txt"] = text
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            raise BadInput(
                "--output",
                f"cannot write {target}: {exc.strerror}",
                action="choose a file in a folder you can write to and run again",
            ) from None
        with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w:gz") as tar:
            for name, data in sorted(files.items()):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mtime = int(time.time())
                info.mode = 0o600
                tar.addfile(info, io.BytesIO(data))
        return target


# -- why the cluster was not read, in one line -------------------------------------------


def one_line_cause(exc: BaseException, where: str = "") -> str:
    """What went wrong, in one line a user reads: ``connection refused by
    127.0.0.1:6443``, not urllib3's ``MaxRetryError(...)`` with its object reprs."""
    import urllib3.exceptions as u3

    from kfwizard.engine.errors import KfwizardError

    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    at = where or _host_of(exc)
    if isinstance(exc, u3.NameResolutionError):
        return f"cannot resolve the host name of {at}"
    if isinstance(exc, u3.NewConnectionError):
        said = str(exc).rsplit("]", 1)[-1].strip().lower() or "connection failed"
        if "refused" in said:
            return f"connection refused by {at}"
        return f"cannot connect to {at}: {said}"
    if isinstance(exc, u3.ConnectTimeoutError):
        return f"{at} did not take the connection within {CONNECT_TIMEOUT:.0f} s"
    if isinstance(exc, u3.ReadTimeoutError):
        return f"{at} took the connection but did not answer"
    if isinstance(exc, u3.SSLError):
        return f"the TLS handshake with {at} failed: {_first_line(str(exc))}"
    if isinstance(exc, u3.ProtocolError):
        return f"{at} closed the connection without an answer"
    if isinstance(exc, KfwizardError):
        return _first_line(exc.cause)
    status = getattr(exc, "status", None)
    if isinstance(status, int) and status:
        from kfwizard.kube.retry import error_message

        return f"the API answered HTTP {status}: {_first_line(error_message(exc))}"
    return f"{type(exc).__name__}: {_first_line(str(exc))}"


def _host_of(exc: BaseException) -> str:
    pool = getattr(exc, "pool", None) or getattr(exc, "conn", None)
    host, port = getattr(pool, "host", None), getattr(pool, "port", None)
    if host:
        return f"{host}:{port}" if port else str(host)
    return "the cluster's API"


def _first_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return redact(line if len(line) <= limit else line[: limit - 1] + "…")


# -- the session, the versions ----------------------------------------------------------


def _session_part(writer: BundleWriter, session: Session) -> None:
    data = session.to_json()
    writer.add_json("session.json", data)
    log_dir = paths.session_log_dir(session.id)
    if log_dir.is_dir():
        for path in sorted(log_dir.glob("*")):
            if path.is_file():
                writer.add_text(
                    f"logs/{path.name}", path.read_text(encoding="utf-8", errors="replace")
                )


def versions(env: Mapping[str, str]) -> dict[str, str]:
    """Which kfwizard, Python, libraries, OS, kubectl and gcloud made the bundle."""
    from importlib import metadata

    found = {
        "kfwizard": __version__,
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "os": platform.platform(),
    }
    for package in ("kubernetes", "google-cloud-container", "textual"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    found["kubectl"] = _tool_version(
        ["kubectl", "version", "--client", "-o", "json"],
        env,
        lambda data: str((data.get("clientVersion") or {}).get("gitVersion") or "unknown"),
    )
    found["gcloud"] = _tool_version(
        ["gcloud", "version", "--format=json"],
        {
            **env,
            "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
            "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "true",
        },
        _gcloud_version,
    )
    return found


def _gcloud_version(data: dict[str, Any]) -> str:
    """``528.0.0 (gke-gcloud-auth-plugin 0.5.10)``: the SDK and the plugin kubectl needs."""
    sdk = str(data.get("Google Cloud SDK") or "unknown")
    plugin = data.get("gke-gcloud-auth-plugin")
    return f"{sdk} (gke-gcloud-auth-plugin {plugin})" if plugin else sdk


def _tool_version(
    argv: list[str], env: Mapping[str, str], pick: Callable[[dict[str, Any]], str]
) -> str:
    import shutil

    if shutil.which(argv[0], path=env.get("PATH")) is None:
        return "not found on PATH"
    try:
        done = subprocess.run(
            argv,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        data = json.loads(done.stdout)
    except subprocess.TimeoutExpired:
        return f"did not answer within {TOOL_TIMEOUT:.0f} s"
    except (OSError, ValueError):
        return "unknown (its version could not be read)"
    return pick(data) if isinstance(data, dict) else "unknown"


def _versions_text(found: Mapping[str, str]) -> str:
    width = max(len(name) for name in found)
    return "".join(f"{name:<{width}}  {value}\n" for name, value in found.items())


# -- the cluster ------------------------------------------------------------------------


def known_gone(session: Session) -> str:
    """Why the session's cluster is not there to read, when the session knows: a
    teardown deleted it, or found that GKE no longer lists it. Empty otherwise."""
    from kfwizard.engine.steps.teardown import cluster_deleted, cluster_gone

    name = (session.outputs.get("cluster") or {}).get("name") or (
        session.inventory.get("cluster") or {}
    ).get("name")
    called = f"cluster {name}" if name else "the session's cluster"
    if cluster_deleted(session):
        return f"the session's teardown deleted {called}"
    if cluster_gone(session):
        return f"{called} no longer exists (its teardown found that GKE no longer lists it)"
    return ""


def _has_cluster(session: Session) -> bool:
    return bool(
        session.outputs.get("connect") or (session.outputs.get("cluster") or {}).get("endpoint")
    )


class _Unreachable(Exception):
    """The cluster's API did not answer (or refused kfwizard): nothing more to read."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


def _bounded_rest_client(configuration: Any) -> Any:
    """The client's REST layer with a connect and read timeout on every request (the
    library waits forever by default) and no retries of its own: one unanswered
    request costs at most :data:`CONNECT_TIMEOUT` + :data:`READ_TIMEOUT`."""
    from kubernetes.client import rest

    class Bounded(rest.RESTClientObject):  # type: ignore[misc]
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if not kwargs.get("_request_timeout"):
                kwargs["_request_timeout"] = (CONNECT_TIMEOUT, READ_TIMEOUT)
            return super().request(method, url, *args, **kwargs)

    configuration.retries = False
    return Bounded(configuration)


def _open(session: Any, env: dict[str, str]) -> Any:
    from kfwizard.kube.client import clients_for_session

    clients = clients_for_session(session, env)
    old = clients.api_client.rest_client
    clients.api_client.rest_client = _bounded_rest_client(clients.api_client.configuration)
    old.close()
    return clients


def _where(clients: Any) -> str:
    host = str(clients.api_client.configuration.host)
    return host.split("://", 1)[-1].rstrip("/")


def _probe(clients: Any) -> dict[str, Any]:
    """``/version``, once: the question whether anything answers at all."""
    from kfwizard.kube.retry import is_connection_error

    try:
        info = clients.version.get_code()
    except Exception as exc:
        cause = one_line_cause(exc, _where(clients))
        if is_connection_error(exc):
            raise _Unreachable(f"cluster not reachable: {cause}") from None
        status = getattr(exc, "status", None)
        if status in (401, 403):
            cause = f"it refused kfwizard's credentials ({cause})"
        raise _Unreachable(f"cluster not readable: {cause}") from None
    return info.to_dict() if hasattr(info, "to_dict") else dict(info)


def _gke_now(session: Session, env: Mapping[str, str]) -> tuple[str, Any]:
    """What GKE says of the session's cluster now: ("gone", None), ("moved", cluster)
    when its API has another address than the saved one, ("status", text) when it is
    not running, or ("", None): nothing to add (not GKE, or GKE could not be asked)."""
    from kfwizard.engine.steps.teardown import gke_cluster

    c = gke_cluster(session)
    if c is None:
        return "", None
    try:
        from google.api_core import exceptions as gexc

        from kfwizard.gcp import clusters, endpoints

        client = endpoints.cluster_manager(env)
        try:
            found = client.get_cluster(
                name=clusters.cluster_path(c["project"], c["location"], c["name"]),
                retry=None,
                timeout=READ_TIMEOUT,
            )
        except gexc.NotFound:
            return "gone", None
        status = clusters.cluster_status(found)
    except Exception:
        return "", None
    if status != "RUNNING":
        return "status", status
    saved = (session.outputs.get("cluster") or {}).get("endpoint")
    if found.endpoint and found.endpoint != saved:
        return "moved", found
    return "", None


def _at_new_address(session: Session, found: Any) -> Any:
    """The session as the client needs it, with the cluster's API where GKE says it is
    now (never saved: a bundle only reads)."""
    from types import SimpleNamespace

    cluster = dict(session.outputs.get("cluster") or {})
    cluster["endpoint"] = str(found.endpoint)
    cluster["ca_certificate"] = str(found.master_auth.cluster_ca_certificate)
    return SimpleNamespace(outputs={**session.outputs, "cluster": cluster})


def _connect(
    session: Session, env: dict[str, str], writer: BundleWriter
) -> tuple[Any, dict[str, Any]]:
    """Clients that got an answer from ``/version``, and that answer. A GKE cluster that
    does not answer at its saved address is looked up: gone, stopped, or moved (a demo
    whose port another program took); a moved one is dialled at its new address."""
    clients = _open(session, env)
    try:
        return clients, _probe(clients)
    except _Unreachable as first:
        clients.close()
        said, found = _gke_now(session, env)
        name = (session.outputs.get("cluster") or {}).get("name") or "the cluster"
        if said == "gone":
            raise _Unreachable(
                f"{first.line}; GKE no longer lists cluster {name}: it was deleted"
            ) from None
        if said == "status":
            raise _Unreachable(f"{first.line}; GKE says cluster {name} is {found}") from None
        if said != "moved":
            raise
        writer.note(
            f"cluster: not at its saved address; GKE gives its API at {found.endpoint}, read there"
        )
        clients = _open(_at_new_address(session, found), env)
        try:
            return clients, _probe(clients)
        except _Unreachable:
            clients.close()
            raise


def _cluster_part(
    writer: BundleWriter, session: Session, env: dict[str, str], cancel: threading.Event
) -> str:
    """Read the cluster into ``writer``; the one line the README and the command print."""
    from kfwizard.kube.control import Quiet
    from kfwizard.kube.objects import as_dict
    from kfwizard.kube.retry import is_connection_error

    namespace = _install_namespace(session)
    clients, version = _connect(session, env, writer)
    try:
        writer.add_json("cluster/version.json", version)

        def nodes() -> None:
            items = clients.core.list_node().items
            writer.add_json(
                "cluster/nodes.json",
                [
                    {
                        "name": n.metadata.name,
                        "labels": n.metadata.labels,
                        "allocatable": n.status.allocatable,
                        "kubelet": n.status.node_info.kubelet_version,
                    }
                    for n in items
                ],
            )

        def workloads() -> None:
            deployments = clients.apps.list_namespaced_deployment(namespace).items
            writer.add_json(
                f"cluster/{namespace}/deployments.json", [as_dict(d) for d in deployments]
            )

        pods: list[Any] = []

        def pod_list() -> None:
            pods.extend(clients.core.list_namespaced_pod(namespace).items)
            writer.add_json(f"cluster/{namespace}/pods.json", [as_dict(p) for p in pods])

        def events() -> None:
            items = clients.core.list_namespaced_event(namespace).items
            writer.add_json(f"cluster/{namespace}/events.json", [as_dict(e) for e in items])

        def pod_logs() -> None:
            for pod in pods:
                if cancel.is_set():
                    return
                if _is_failing(pod):
                    text = clients.core.read_namespaced_pod_log(
                        pod.metadata.name, namespace, tail_lines=POD_LOG_LINES
                    )
                    writer.add_text(
                        f"cluster/{namespace}/pod-logs/{pod.metadata.name}.log", text or ""
                    )

        def diagnoses() -> None:
            from kfwizard.kube.diagnose import collect_diagnoses

            found = collect_diagnoses(clients, namespace, control=Quiet(cancel))
            writer.add_json("diagnoses.json", [_as_plain(d) for d in found])

        for what, fn in (
            ("nodes", nodes),
            ("deployments", workloads),
            ("pods", pod_list),
            ("events", events),
            ("pod logs", pod_logs),
            ("diagnoses", diagnoses),
        ):
            if cancel.is_set():
                break
            try:
                fn()
            except Exception as exc:
                cause = one_line_cause(exc, _where(clients))
                if is_connection_error(exc):
                    return (
                        f"cluster stopped answering while reading {what}: {cause}; what "
                        "it sent before is in the bundle"
                    )
                writer.note(f"{what}: {cause}")
        return "cluster read"
    finally:
        clients.close()


def _read_cluster(
    writer: BundleWriter, session: Session, env: dict[str, str], deadline: float
) -> tuple[str, bool]:
    """Read the cluster in a thread for at most ``deadline`` seconds: the line saying
    how it went, and whether Ctrl+C stopped it. The thread is a daemon: one still
    waiting for an answer does not keep the command from finishing."""
    outcome: list[str] = []
    cancel = threading.Event()

    def work() -> None:
        try:
            outcome.append(_cluster_part(writer, session, env, cancel))
        except _Unreachable as exc:
            outcome.append(exc.line)
        except Exception as exc:
            outcome.append(f"cluster not read: {one_line_cause(exc)}")

    thread = threading.Thread(target=work, name="kfwizard-bundle-cluster", daemon=True)
    thread.start()
    try:
        thread.join(deadline)
    except KeyboardInterrupt:
        cancel.set()
        return "cluster reading stopped by Ctrl+C; what it sent before is in the bundle", True
    if thread.is_alive():
        cancel.set()
        return (
            f"cluster not reachable: it did not answer everything within {deadline:.0f} s; "
            "what it sent before is in the bundle"
        ), False
    return (outcome[0] if outcome else "cluster not read"), False


def _as_plain(item: Any) -> Any:
    if hasattr(item, "to_json"):
        return item.to_json()
    if hasattr(item, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(item)
    return item


def _not_read_diagnosis(line: str, session: Session) -> dict[str, Any]:
    """The diagnoses file when the cluster was not read: one entry saying why, never an
    empty list, which reads as "nothing wrong"."""
    name = (session.outputs.get("cluster") or {}).get("name") or (
        session.outputs.get("connect") or {}
    ).get("context")
    if "not readable" in line:
        problem, severity = "not readable", "error"
        action = (
            "check that your credentials may read the cluster (`kubectl auth can-i list "
            "pods -n kubeflow`), then make the bundle again"
        )
    elif "not read" in line:
        problem, severity = "not read", "info"
        action = "nothing to read in the cluster; the session and its logs are in the bundle"
    else:  # not reachable, stopped answering, stopped by Ctrl+C
        problem, severity = "not reachable", "error"
        action = (
            "check that the cluster's API answers (`kubectl get --raw /readyz`), then make "
            "the bundle again"
        )
    return {
        "subject": f"Cluster {name}" if name else "The session's cluster",
        "problem": problem,
        "cause": line[:1].upper() + line[1:] + ".",
        "action": action,
        "evidence": [],
        "severity": severity,
        "workload": "",
    }


def _install_namespace(session: Session) -> str:
    for ref in session.inventory.get("objects", []):
        if ref.get("kind") == "Namespace":
            return str(ref.get("name"))
    return "kubeflow"


def _is_failing(pod: Any) -> bool:
    status = pod.status
    if status is None:
        return False
    if status.phase in ("Failed", "Pending"):
        return True
    for cs in status.container_statuses or []:
        waiting = cs.state.waiting if cs.state else None
        if (waiting and waiting.reason) or (cs.restart_count or 0) > 0:
            return True
    return False


# -- the bundle -------------------------------------------------------------------------


@dataclass
class Written:
    """A written bundle: where, and the line saying how its cluster part went."""

    path: Path
    cluster: str
    interrupted: bool = False


def write_bundle(
    session: Session,
    output: Path | None = None,
    env: dict[str, str] | None = None,
    include_cluster: bool = True,
    deadline: float = CLUSTER_DEADLINE,
) -> Written:
    """Write the bundle for ``session``: always, whatever the cluster does."""
    env = dict(env if env is not None else os.environ)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    root = f"kfwizard-bundle-{session.id}-{stamp}"
    writer = BundleWriter(root)
    found_versions: dict[str, str] = {}
    versions_thread = threading.Thread(
        target=lambda: found_versions.update(versions(env)),
        name="kfwizard-bundle-versions",
        daemon=True,
    )
    versions_thread.start()
    writer.collect("session", lambda: _session_part(writer, session))

    saved = dict(session.outputs.get("cluster") or {})
    interrupted = False
    gone = known_gone(session)
    if not include_cluster:
        line = "cluster not read (not asked to)"
    elif not _has_cluster(session):
        line = "cluster not read: the session never connected to a cluster"
    elif gone:
        line = f"cluster not read: {gone}"
    else:
        line, interrupted = _read_cluster(writer, session, env, deadline)
    if saved:
        note = "what the Cluster step saved"
        if line != "cluster read":
            note += f"; now: {line}"
        writer.add_json("cluster/session-cluster.json", {"note": note, **saved})
    if line != "cluster read":
        writer.note(line)
        writer.add_json("diagnoses.json", [_not_read_diagnosis(line, session)])

    versions_thread.join(2 * TOOL_TIMEOUT)
    made_by = dict(found_versions) or {"kfwizard": __version__}
    writer.add_text("versions.txt", _versions_text(made_by))
    writer.add_text("README.txt", _readme(session, line, made_by))
    path = writer.write(bundle_target(output, f"{root}.tar.gz"))
    return Written(path=path, cluster=line, interrupted=interrupted)


def _readme(session: Session, cluster: str, made_by: Mapping[str, str]) -> str:
    made = ", ".join(
        f"{name} {made_by[name]}" for name in ("kfwizard", "python", "os") if name in made_by
    )
    tools = "; ".join(
        f"{name} {made_by[name]}" for name in ("kubectl", "gcloud") if name in made_by
    )
    return (
        "kfwizard support bundle\n"
        f"session: {session.id} ({session.display_name()}), status {session.status}\n"
        f"made by: {made}\n"
        + (f"tools: {tools}\n" if tools else "")
        + f"cluster: {cluster.removeprefix('cluster ')}\n"
        "Contents: session.json (choices, journal, inventory, step facts), logs/, "
        "versions.txt, cluster/ (versions, nodes, Deployments, Pods, Events of the install "
        "namespace, last log lines of failing pods), diagnoses.json, and "
        "collection-problems.txt when something could not be read.\n"
        "Redacted: no Secrets are collected; managedFields and the "
        "last-applied-configuration annotation are left out; tokens, passwords, keys, "
        "passwords in URLs, private keys and secret-looking values are replaced by "
        f"{MASK}.\n"
    )


def bundle_target(output: Path | None, default_name: str) -> Path:
    """Where the bundle goes: ``--output FILE``; into ``--output FOLDER`` under its
    default name; without ``--output``, the data folder's ``bundles/`` (made if missing)."""
    if output is None:
        folder = paths.data_dir() / "bundles"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / default_name
    if _is_folder(output):
        return output / default_name
    return output


def _is_folder(path: Path) -> bool:
    """``path`` is an existing folder; a name the file system cannot even look up (too
    long, say) is not one, and writing to it then says why."""
    try:
        return path.is_dir()
    except OSError:
        return False


def check_output(output: Path | None) -> None:
    """Refuse an ``--output`` whose folder is missing before anything is collected.

    The folder is not created: a mistyped path would otherwise leave the bundle (and new
    folders) somewhere the user does not look.
    """
    if output is None or _is_folder(output) or _is_folder(output.parent):
        return
    folder = output.parent
    if os.path.exists(folder):  # False, not an error, for names too long to look up
        raise BadInput(
            "--output",
            f"{folder} is a file, not a folder",
            action="give an existing folder or a file in one and run again",
        )
    raise BadInput(
        "--output",
        f"the folder {folder} does not exist",
        action="create it, or give an existing folder or a file in one, and run again",
    )


def check_faults_flag(session: Session, faults: Iterable[str]) -> None:
    """``--fault`` rehearses a failure on the demo's emulators, so the bundle captures
    it; a real session has no emulators to break, so the flag is refused (exit 2)
    rather than dropped without a word."""
    names = list(faults)
    if not names:
        return
    if not session.demo:
        raise BadInput(
            "--fault",
            f"only works with a demo session (it rehearses a failure on the demo's "
            f"emulators); {session.display_name()} is a real one",
            action="leave out --fault",
        )
    from kfwizard.demo import check_faults

    check_faults(names)


def write_bundle_cli(session_id: str, output: Path | None, faults: Iterable[str] = ()) -> int:
    check_output(output)
    store = SessionStore()
    session = store.load(session_id)
    faults = list(faults)
    check_faults_flag(session, faults)
    env = dict(os.environ)
    demo_handle = None
    try:
        if session.demo:
            from kfwizard.demo import start_demo

            demo_handle = start_demo(faults=faults)
            env.update(demo_handle.env)
        written = write_bundle(session, output, env)
    finally:
        if demo_handle is not None:
            demo_handle.stop()
    print(f"Support bundle written to {written.path}")
    if written.cluster != "cluster read":
        print(f"{written.cluster[:1].upper()}{written.cluster[1:]}.")
        if "what it sent before" not in written.cluster:
            print("The bundle has the session and its logs only.")
    print("It is redacted (no Secrets, tokens or passwords); look inside before sharing it.")
    return 130 if written.interrupted else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(write_bundle_cli(sys.argv[1], None))
