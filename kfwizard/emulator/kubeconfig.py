"""The kubeconfig file the emulator stack keeps for its clusters.

One context per emulated cluster, named as gcloud names them
(``gke_{project}_{location}_{cluster}``), with the cluster's CA inline and the
emulator's bearer token. The file is the stack's own (never ``~/.kube/config``), mode
0600, and rewritten atomically (temp file + ``os.replace``) whenever a cluster comes or
goes. Entries the stack did not write, such as the ones ``gcloud container clusters
create`` adds with ``gke-gcloud-auth-plugin``, are kept; an entry of the same name is
replaced by the stack's, which works the same against the emulator.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Entry:
    context: str
    server: str
    ca_b64: str
    token: str


def write_kubeconfig(path: Path, entries: list[Entry], forget: set[str]) -> None:
    """Write ``entries`` into the kubeconfig at ``path``; drop contexts named in ``forget``.

    ``current-context`` stays as it was while it still exists; otherwise it becomes the
    last entry's context (the newest cluster), or is cleared.
    """
    import yaml

    config = _load(path)
    ours = {e.context for e in entries} | set(forget)
    for section in ("clusters", "users", "contexts"):
        config[section] = [
            item
            for item in config.get(section) or []
            if isinstance(item, dict) and item.get("name") not in ours
        ]
    for entry in entries:
        config["clusters"].append(
            {
                "name": entry.context,
                "cluster": {
                    "server": entry.server,
                    "certificate-authority-data": entry.ca_b64,
                },
            }
        )
        config["users"].append({"name": entry.context, "user": {"token": entry.token}})
        config["contexts"].append(
            {"name": entry.context, "context": {"cluster": entry.context, "user": entry.context}}
        )
    names = {c["name"] for c in config["contexts"]}
    if config.get("current-context") not in names:
        config["current-context"] = entries[-1].context if entries else ""
    text = yaml.safe_dump(config, sort_keys=False)
    atomic_write(path, text)


def atomic_write(path: Path, text: str, mode: int = 0o600) -> None:
    """Write ``text`` to ``path`` so readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _load(path: Path) -> dict[str, Any]:
    import yaml

    base: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [],
        "users": [],
        "contexts": [],
        "current-context": "",
    }
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return base
    if isinstance(data, dict):
        base.update(data)
    return base
