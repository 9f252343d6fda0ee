"""Support bundles: one redacted .tar.gz with what a helper needs to see what went wrong.

It holds the session (choices, journal, inventory, outputs), its logs, the cluster and
server versions, the install namespace's Deployments, Pods and Events, the last log lines
of failing pods, and the diagnoses.

It never holds a token, a password or a Secret's value. Secrets are not collected at
all. ``metadata.managedFields`` and the ``last-applied-configuration`` annotation (the
whole object as applied, env values included, in one JSON string) are dropped. Values
under secret-looking keys, env vars with secret-looking names and the value after a
secret-looking flag (``--password x``) are masked; JSON held in a string is read and
masked the same way; and every text goes through :func:`kfwizard.engine.redact.redact`,
which masks secret-shaped values whatever their name (a URL's password, a PEM private
key, bearer and API tokens).
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kfwizard import paths
from kfwizard.engine.errors import BadInput
from kfwizard.engine.redact import MASK, SECRET_WORDS, redact
from kfwizard.session import Session, SessionStore

POD_LOG_LINES = 100

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
    """Collects named files in memory, then writes them as one tar.gz (mode 0600)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.files: dict[str, bytes] = {}
        self.problems: list[str] = []

    def add_text(self, name: str, text: str) -> None:
        self.files[f"{self.root}/{name}"] = redact(text).encode("utf-8")

    def add_json(self, name: str, data: Any) -> None:
        self.add_text(name, json.dumps(scrub(data), indent=2, default=str) + "\n")

    def collect(self, what: str, fn: Callable[[], None]) -> None:
        """Run one collector; a failure is noted in the bundle, never fatal."""
        try:
            fn()
        except Exception as exc:  # a broken cluster is exactly when bundles are made
            self.problems.append(f"{what}: {type(exc).__name__}: {redact(str(exc))[:500]}")

    def write(self, target: Path) -> Path:
        """Write the bundle to ``target``, whose folder must exist; a file that cannot be
        created there (``/proc``, no permission) is ``--output`` bad input, exit 2."""
        if self.problems:
            self.add_text("collection-problems.txt", "\n".join(self.problems) + "\n")
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            raise BadInput(
                "--output",
                f"cannot write {target}: {exc.strerror}",
                action="choose a file in a folder you can write to and run again",
            ) from None
        with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w:gz") as tar:
            for name, data in sorted(self.files.items()):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mtime = int(time.time())
                info.mode = 0o600
                tar.addfile(info, io.BytesIO(data))
        return target


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


def _cluster_part(writer: BundleWriter, session: Session, env: dict[str, str]) -> None:
    from kfwizard.kube.client import clients_for_session
    from kfwizard.kube.objects import as_dict

    clients = clients_for_session(session, env)
    namespace = _install_namespace(session)
    try:
        writer.collect(
            "server version",
            lambda: writer.add_json("cluster/version.json", clients.server_version()),
        )
        writer.add_json("cluster/session-cluster.json", session.outputs.get("cluster", {}))

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
                if _is_failing(pod):
                    text = clients.core.read_namespaced_pod_log(
                        pod.metadata.name, namespace, tail_lines=POD_LOG_LINES
                    )
                    writer.add_text(
                        f"cluster/{namespace}/pod-logs/{pod.metadata.name}.log", text or ""
                    )

        def diagnoses() -> None:
            from kfwizard.kube.diagnose import collect_diagnoses

            found = collect_diagnoses(clients, namespace)
            writer.add_json("diagnoses.json", [_as_plain(d) for d in found])

        for what, fn in (
            ("nodes", nodes),
            ("deployments", workloads),
            ("pods", pod_list),
            ("events", events),
            ("pod logs", pod_logs),
            ("diagnoses", diagnoses),
        ):
            writer.collect(what, fn)
    finally:
        clients.close()


def _as_plain(item: Any) -> Any:
    if hasattr(item, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(item)
    return item


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


def write_bundle(
    session: Session,
    output: Path | None = None,
    env: dict[str, str] | None = None,
    include_cluster: bool = True,
) -> Path:
    """Write the bundle for ``session`` and return its path."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    root = f"kfwizard-bundle-{session.id}-{stamp}"
    writer = BundleWriter(root)
    writer.add_text(
        "README.txt",
        (
            "kfwizard support bundle\n"
            f"session: {session.id} ({session.display_name()}), status {session.status}\n"
            "Contents: session.json (choices, journal, inventory, step facts), logs/, cluster/ "
            "(versions, nodes, Deployments, Pods, Events of the install namespace, last log lines "
            "of failing pods), diagnoses.json.\n"
            "Redacted: no Secrets are collected; managedFields and the "
            "last-applied-configuration annotation are left out; tokens, passwords, keys, "
            "passwords in URLs, private keys and secret-looking values are replaced by "
            f"{MASK}.\n"
        ),
    )
    writer.collect("session", lambda: _session_part(writer, session))
    has_cluster = bool(
        session.outputs.get("connect") or session.outputs.get("cluster", {}).get("endpoint")
    )
    if include_cluster and has_cluster:
        writer.collect("cluster", lambda: _cluster_part(writer, session, dict(env or os.environ)))
    elif include_cluster:
        writer.problems.append(
            "cluster: the session never connected to a cluster, so none was read"
        )
    return writer.write(bundle_target(output, f"{root}.tar.gz"))


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


def write_bundle_cli(session_id: str, output: Path | None) -> int:
    check_output(output)
    store = SessionStore()
    session = store.load(session_id)
    env = dict(os.environ)
    demo_handle = None
    try:
        if session.demo:
            from kfwizard.demo import start_demo

            demo_handle = start_demo(faults=[])
            env.update(demo_handle.env)
        path = write_bundle(session, output, env)
    finally:
        if demo_handle is not None:
            demo_handle.stop()
    print(f"Support bundle written to {path}")
    print("It is redacted (no Secrets, tokens or passwords); look inside before sharing it.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(write_bundle_cli(sys.argv[1], None))
