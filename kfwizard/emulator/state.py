"""Saving and restoring the emulators between runs (``state_dir``).

The demo keeps its emulated cloud under the data folder so a session can be resumed or
torn down later, like a real one. Layout::

    state_dir/emulators.json          projects, enabled services, clusters, operations
    state_dir/clusters/<context>.json each cluster's Kubernetes objects (KubeEmulator)

Written atomically, mode 0600. A state file that cannot be read is set aside (renamed
``emulators.json.corrupt``) and the emulators start empty: never fatal.

One process at a time runs emulators on a state folder (``hold``): each loads the state
when it starts and saves over it as it runs, so two at once would each drop the other's
clusters. ``--demo`` and ``kfwizard emulator --state-dir`` take the same lock, so the
command pointed by hand at the demo folder is refused too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kfwizard.emulator.kubeconfig import atomic_write

if TYPE_CHECKING:
    from kfwizard.session import SessionLock

STATE_FILE = "emulators.json"
KUBE_DIR = "clusters"
LOCK_FILE = "emulators.lock"
SCHEMA = 1


class StateBusy(Exception):
    """Another process runs emulators on this state folder (``owner``: its pid, or "")."""

    def __init__(self, lock_path: Path, owner: str) -> None:
        self.lock_path = lock_path
        self.owner = owner
        who = f" (pid {owner})" if owner else ""
        super().__init__(f"another kfwizard process{who} runs emulators on {lock_path.parent}")


class StateUnlockable(Exception):
    """The state folder's lock cannot be taken (not writable, no locks there): why."""

    def __init__(self, lock_path: Path, reason: str) -> None:
        self.lock_path = lock_path
        self.reason = reason
        super().__init__(f"cannot lock {lock_path} ({reason})")


def lock_path(state_dir: Path) -> Path:
    """Inside the folder itself, so any spelling of it (relative, a symlink) finds it."""
    return state_dir / LOCK_FILE


def hold(state_dir: Path) -> SessionLock:
    """The state folder's lock, held until ``release()``; ``StateBusy`` when another
    process (or another start in this one) holds it, ``StateUnlockable`` when it cannot
    be taken.

    The sessions' lock (``flock`` on a file holding the owner's pid): the kernel drops
    it when its owner dies, so a killed process never blocks the next one.
    """
    from kfwizard.session import SessionLock, SessionLocked, SessionWriteError

    lock = SessionLock(lock_path(state_dir))
    try:
        lock.acquire()
    except SessionLocked:
        raise StateBusy(lock.path, lock_owner(lock.path)) from None
    except SessionWriteError as exc:
        cause = exc.__cause__
        reason = getattr(cause, "strerror", None) or str(cause or "unknown error")
        raise StateUnlockable(lock.path, reason) from None
    return lock


def lock_owner(path: Path) -> str:
    """The pid the holder wrote into the lock file, or "" (not written yet, unreadable)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return ""
    return text if text.isdigit() else ""


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
