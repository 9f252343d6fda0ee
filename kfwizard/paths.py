"""The one place that knows where kfwizard keeps files.

Everything on disk goes through these functions so tests (and users, through the
``KFWIZARD_HOME`` variable) can move all of it with one setting.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "kfwizard"


def _home_override() -> Path | None:
    """``KFWIZARD_HOME`` as an absolute path, ``~`` expanded.

    A relative value would be read against whatever folder a step happens to run in,
    and paths built from it are stored (sessions, rendered manifests) and exported
    (the demo's ``KUBECONFIG``): every one of them must name the same place from
    anywhere. ``~`` is expanded for a value set in quotes or in a config file.
    """
    value = os.environ.get("KFWIZARD_HOME")
    if not value:
        return None
    return Path(os.path.abspath(os.path.expanduser(value)))


def state_dir() -> Path:
    """Sessions and locks: what a resume needs."""
    home = _home_override()
    if home is not None:
        return home / "state"
    from platformdirs import user_state_path

    return user_state_path(APP_NAME, appauthor=False)


def sessions_dir() -> Path:
    return state_dir() / "sessions"


def log_dir() -> Path:
    """Full logs, one folder per session."""
    home = _home_override()
    if home is not None:
        return home / "log"
    from platformdirs import user_log_path

    return user_log_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    """Downloaded release archives and rendered manifests."""
    home = _home_override()
    if home is not None:
        return home / "cache"
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """Long-lived data: the demo emulator's state, bundles."""
    home = _home_override()
    if home is not None:
        return home / "data"
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def demo_state_dir() -> Path:
    """The demo emulators' saved cloud (clusters, services, kubeconfig)."""
    return data_dir() / "demo-emulator"


def demo_lock_path() -> Path:
    """Held by the one process whose demo emulators use ``demo_state_dir()``."""
    return demo_state_dir() / "emulators.lock"


def config_dir() -> Path:
    home = _home_override()
    if home is not None:
        return home / "config"
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def session_log_dir(session_id: str) -> Path:
    return log_dir() / session_id


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700) when missing and return it.

    A folder that exists already is made 0700 too: older kfwizard versions created some
    of these folders readable by everyone, and they hold secrets-bearing files.
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError:  # not ours to change (a shared mount): leave it as it is
        pass
    return path


def where() -> dict[str, Path]:
    """The paths ``kfwizard --where`` prints."""
    return {
        "state": state_dir(),
        "sessions": sessions_dir(),
        "log": log_dir(),
        "cache": cache_dir(),
        "data": data_dir(),
        "config": config_dir(),
    }
