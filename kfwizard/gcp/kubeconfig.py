"""Write a kubeconfig context exactly as ``gcloud container clusters get-credentials`` does.

After the wizard, the user keeps working with ``kubectl`` (and tutorials assume
gcloud's naming), so the entry must be the one they would have got by hand: one name
``gke_{project}_{location}_{cluster}`` for cluster, user and context; the server as
``https://{endpoint}``; the CA inline; and a user that runs ``gke-gcloud-auth-plugin``.
The file is merged, never replaced: other clusters, users, contexts and preferences
stay as they were. It is written atomically with mode 0600 (it names credentials).
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLUGIN = "gke-gcloud-auth-plugin"
EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"
INSTALL_HINT = (
    "Install gke-gcloud-auth-plugin for use with kubectl by following "
    "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin"
)
PLUGIN_INSTALL_COMMANDS = (
    "gcloud components install gke-gcloud-auth-plugin",
    "sudo apt-get install google-cloud-cli-gke-gcloud-auth-plugin",
)


class KubeconfigError(Exception):
    """The kubeconfig file exists but cannot be read as one (message says why)."""


def context_name(project: str, location: str, cluster: str) -> str:
    return f"gke_{project}_{location}_{cluster}"


def kubeconfig_path(env: Mapping[str, str] | None = None) -> Path:
    """The file kubectl (and gcloud) write to: first entry of ``$KUBECONFIG``, else
    ``~/.kube/config``."""
    env = os.environ if env is None else env
    for entry in (env.get("KUBECONFIG") or "").split(os.pathsep):
        if entry:
            return Path(entry).expanduser().absolute()
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".kube" / "config"


def kubeconfig_files(env: Mapping[str, str] | None = None) -> list[Path]:
    """Every file kubectl merges: each entry of ``$KUBECONFIG``, else ``~/.kube/config``."""
    env = os.environ if env is None else env
    files = [
        Path(entry).expanduser().absolute()
        for entry in (env.get("KUBECONFIG") or "").split(os.pathsep)
        if entry
    ]
    return files or [kubeconfig_path(env)]


def find_context(env: Mapping[str, str] | None, context: str) -> tuple[Path | None, list[str]]:
    """The first file (in kubectl's order) defining ``context``, and every context seen."""
    seen: list[str] = []
    found: Path | None = None
    for path in kubeconfig_files(env):
        try:
            names = context_names(path)
        except KubeconfigError:
            continue
        seen += [n for n in names if n not in seen]
        if found is None and context in names:
            found = path
    return found, seen


def file_problems(env: Mapping[str, str] | None) -> list[str]:
    """Why each kubeconfig file kubectl would merge gives no contexts: missing, not
    readable, not valid YAML. A context "not found" in a file that is not there reads as
    a typo in the context's name, when the fix is ``KUBECONFIG``."""
    problems: list[str] = []
    for path in kubeconfig_files(env):
        if not path.exists():
            problems.append(f"{path} does not exist")
            continue
        try:
            load(path)
        except KubeconfigError as exc:
            mark = getattr(exc.__cause__, "problem_mark", None)  # a YAML error's place
            if mark is not None:
                problems.append(f"{path} is not valid YAML (line {mark.line + 1})")
            else:
                problems.append(str(exc))
    return problems


def ca_data(ca: str) -> str:
    """``certificate-authority-data`` (base64 of the PEM) from a PEM or base64 value."""
    text = ca.strip()
    if text.startswith("-----BEGIN"):
        return base64.b64encode((text + "\n").encode()).decode()
    return "".join(text.split())


def entries(
    project: str, location: str, cluster: str, endpoint: str, ca: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The (cluster, user, context) entries gcloud writes, all under one name."""
    name = context_name(project, location, cluster)
    server = endpoint if endpoint.startswith("https://") else f"https://{endpoint}"
    cluster_entry = {
        "name": name,
        "cluster": {"certificate-authority-data": ca_data(ca), "server": server},
    }
    user_entry = {
        "name": name,
        "user": {
            "exec": {
                "apiVersion": EXEC_API_VERSION,
                "command": PLUGIN,
                "installHint": INSTALL_HINT,
                "provideClusterInfo": True,
            }
        },
    }
    context_entry = {"name": name, "context": {"cluster": name, "user": name}}
    return cluster_entry, user_entry, context_entry


def empty_config() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "clusters": [],
        "contexts": [],
        "current-context": "",
        "kind": "Config",
        "preferences": {},
        "users": [],
    }


def _upsert(items: list[Any], entry: dict[str, Any]) -> list[Any]:
    """Replace the entry with the same name in place, or append it."""
    out = []
    replaced = False
    for item in items:
        if isinstance(item, dict) and item.get("name") == entry["name"]:
            if not replaced:
                out.append(entry)
                replaced = True
            continue
        out.append(item)
    if not replaced:
        out.append(entry)
    return out


def merge(
    config: dict[str, Any] | None,
    cluster_entry: dict[str, Any],
    user_entry: dict[str, Any],
    context_entry: dict[str, Any],
    *,
    set_current: bool = True,
) -> dict[str, Any]:
    """A copy of ``config`` with the three entries added or replaced (pure)."""
    merged = dict(config or empty_config())
    for key in ("clusters", "users", "contexts"):
        value = merged.get(key)
        merged[key] = list(value) if isinstance(value, list) else []
    merged.setdefault("apiVersion", "v1")
    merged.setdefault("kind", "Config")
    merged.setdefault("preferences", {})
    merged["clusters"] = _upsert(merged["clusters"], cluster_entry)
    merged["users"] = _upsert(merged["users"], user_entry)
    merged["contexts"] = _upsert(merged["contexts"], context_entry)
    if set_current:
        merged["current-context"] = context_entry["name"]
    else:
        merged.setdefault("current-context", "")
    return merged


def load(path: Path) -> dict[str, Any] | None:
    """The parsed file; None when it does not exist or is empty."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KubeconfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KubeconfigError(f"{path} is not valid YAML: {exc}") from exc
    if data is None:
        return None
    if not isinstance(data, dict):
        raise KubeconfigError(f"{path} is not a kubeconfig (expected a mapping)")
    return data


def save(path: Path, config: dict[str, Any]) -> None:
    """Atomic write, mode 0600, folder created 0700 when missing."""
    import yaml

    from kfwizard.session import atomic_write_text

    text = yaml.safe_dump(config, default_flow_style=False, sort_keys=True)
    atomic_write_text(path, text, mode=0o600)


def write_context(
    env: Mapping[str, str] | None,
    *,
    project: str,
    location: str,
    cluster: str,
    endpoint: str,
    ca: str,
    set_current: bool = True,
) -> tuple[Path, str]:
    """Merge the cluster's context into the user's kubeconfig; returns (file, context)."""
    path = kubeconfig_path(env)
    cluster_entry, user_entry, context_entry = entries(project, location, cluster, endpoint, ca)
    merged = merge(load(path), cluster_entry, user_entry, context_entry, set_current=set_current)
    save(path, merged)
    return path, context_entry["name"]


def has_context(path: Path, context: str) -> bool:
    try:
        data = load(path)
    except KubeconfigError:
        return False
    contexts = (data or {}).get("contexts") or []
    return any(isinstance(c, dict) and c.get("name") == context for c in contexts)


def context_names(path: Path) -> list[str]:
    return contexts(path)[0]


def contexts(path: Path) -> tuple[list[str], str | None]:
    """The file's context names, and its ``current-context`` if it names one of them."""
    data = load(path) or {}
    names = [str(c.get("name")) for c in data.get("contexts") or [] if isinstance(c, dict)]
    current = data.get("current-context")
    return names, (str(current) if current in names else None)


@dataclass(frozen=True)
class PluginStatus:
    """Whether kubectl will find ``gke-gcloud-auth-plugin``; a warning, never a failure."""

    found: bool
    path: str | None
    hint: str

    def message(self) -> str:
        if self.found:
            return f"{PLUGIN} found at {self.path}"
        return (
            f"{PLUGIN} is not installed, so kubectl cannot use the new context yet "
            f"(kfwizard itself does not need it). {self.hint}"
        )


def plugin_status(env: Mapping[str, str] | None = None) -> PluginStatus:
    """Look for the plugin on the env's PATH, like kubectl would."""
    env = os.environ if env is None else env
    found = shutil.which(PLUGIN, path=env.get("PATH") or os.defpath)
    hint = (
        f'Install it with "{PLUGIN_INSTALL_COMMANDS[0]}" or, for apt installs of the Cloud '
        f'SDK, "{PLUGIN_INSTALL_COMMANDS[1]}".'
    )
    return PluginStatus(found is not None, found, hint)
