"""Saving and restoring the emulators between runs (``state_dir``).

The demo keeps its emulated cloud under the data folder so a session can be resumed or
torn down later, like a real one. Layout::

    state_dir/emulators.json          projects, enabled services, clusters, operations
    state_dir/clusters/<context>.json each cluster's Kubernetes objects (KubeEmulator)

Written atomically, mode 0600. A state file that cannot be read is set aside (renamed
``emulators.json.corrupt``) and the emulators start empty: never fatal.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kfwizard.emulator.kubeconfig import atomic_write

STATE_FILE = "emulators.json"
KUBE_DIR = "clusters"
SCHEMA = 1


def save(state_dir: Path, gke: Any, serviceusage: Any) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "schema": SCHEMA,
        "serviceusage": serviceusage.to_state(),
        "gke": gke.to_state(state_dir / KUBE_DIR),
    }
    path = state_dir / STATE_FILE
    atomic_write(path, json.dumps(data, indent=1, sort_keys=True))
    return path


def load(state_dir: Path) -> dict[str, Any] | None:
    """The saved state, or None when there is none (or it was unreadable)."""
    path = state_dir / STATE_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError("unknown schema")
    except (OSError, ValueError):
        try:
            os.replace(path, path.with_name(STATE_FILE + ".corrupt"))
        except OSError:
            pass
        return None
    return data


def restore(state_dir: Path, data: dict[str, Any], gke: Any, serviceusage: Any) -> None:
    serviceusage.load_state(data.get("serviceusage") or {})
    gke.load_state(data.get("gke") or {}, state_dir / KUBE_DIR)
