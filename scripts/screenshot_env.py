"""The isolated world the README screenshots are taken in.

Screenshots must be byte-identical from one run to the next and from one machine to the
next, so everything the wizard reads from outside is pinned here: a fresh
``KFWIZARD_HOME`` (nothing from the developer's own sessions leaks in), the demo
emulators at speed 0 (instant, so no step is caught half-way by accident), a ``PATH``
with no tools on it (whether ``kubectl`` or ``gke-gcloud-auth-plugin`` happen to be
installed changes what the connect step says), sessions with fixed ids, deterministic
rendering (fixed theme, no animation), numbered emulator operations and no blinking
cursor.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

FIXED_NOW = "2026-11-28T12:00:00+00:00"
"""The wall clock the session picker is shown at (its "3 min ago" column)."""

ROOT = Path(__file__).resolve().parents[1]

PINNED_ENV = {
    "KFWIZARD_UI_DETERMINISTIC": "1",
    "NO_GCE_CHECK": "true",
}
"""Added to the wizard's environment on top of the demo's endpoint variables."""


@dataclass
class ShotWorld:
    """A running demo stack and the environment the wizard gets."""

    home: Path
    """The temporary ``KFWIZARD_HOME``."""
    demo: Any
    """The :class:`kfwizard.demo.DemoHandle` (``.stack.faults`` rehearses failures)."""
    env: dict[str, str]
    """What ``WizardApp(env=...)`` receives: the demo's variables, pinned."""

    @property
    def faults(self) -> Any:
        return self.demo.stack.faults

    def store(self) -> Any:
        from kfwizard.session import SessionStore

        return SessionStore()

    def new_session(self, session_id: str, name: str, cluster: str = "kubeflow-testing") -> str:
        """Save a fresh demo session with a fixed id (ids otherwise carry the time).

        ``cluster`` names the GKE cluster it will create: the demo sessions share one
        emulated project, so each needs its own.
        """
        from kfwizard.answers import defaults
        from kfwizard.demo import apply_demo_defaults
        from kfwizard.session import Session

        selections = defaults()
        apply_demo_defaults(selections, manifests=demo_manifests_relative())
        selections["name"] = name
        selections["cluster"]["name"] = cluster
        session = Session(
            id=session_id,
            name=name,
            selections=selections,
            demo=True,
            created_at=FIXED_NOW,
            updated_at=FIXED_NOW,
        )
        self.store().save(session)
        return session_id

    def app(self, session_id: str | None = None) -> Any:
        """The real wizard on the demo emulators, its clock pinned to ``FIXED_NOW``."""
        from kfwizard.app import WizardApp

        app = WizardApp(session_id=session_id, demo=True, env=self.env, store=self.store())
        app.clock = lambda: datetime.fromisoformat(FIXED_NOW).timestamp()
        return app

    def stamp_session(self, session_id: str, created_at: str, updated_at: str) -> None:
        """Give a session fixed times (saving stamps "now"; the picker shows both)."""
        path = self.store().path_for(session_id)
        data = json.loads(path.read_text(encoding="utf-8"))
        data["created_at"], data["updated_at"] = created_at, updated_at
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def demo_manifests_relative() -> str:
    """The demo manifests' folder relative to the checkout (the shots run from there).

    The Mode step shows ``ls <folder>``; an absolute path would put this machine's
    checkout location into the picture.
    """
    from kfwizard.manifests.demo import demo_manifests_dir

    return os.path.relpath(demo_manifests_dir(), ROOT)


@contextmanager
def _cwd(path: Path) -> Iterator[None]:
    """Work in ``path`` for the block (``contextlib.chdir`` needs Python 3.11)."""
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    """Set process environment variables for the block, then put the old ones back."""
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def no_cursor_blink() -> Iterator[None]:
    """A focused Input keeps its cursor shown (a blink would make two runs differ)."""
    from textual.widgets import Input

    with mock.patch.object(Input, "_toggle_cursor", lambda self: None):
        yield


@contextmanager
def every_rollout_update() -> Iterator[None]:
    """Publish every change of the rollout table, not one per 0.2 s.

    The throttle drops an update that comes within 0.2 s of the previous one and
    nothing re-sends it until the next change, so at speed 0 (changes in bursts) the
    table could be left showing an earlier state, different from run to run.
    """
    with mock.patch("kfwizard.kube.wait.DETAIL_INTERVAL", 0.0):
        yield


@contextmanager
def numbered_operations() -> Iterator[None]:
    """Emulated operations get numbered names, not random ones.

    The log panes wrap long lines, so a whole operation name is on screen: with a
    UUID or a clock in it, two runs would differ.
    """
    count = itertools.count(1)

    def suffix() -> str:
        return str(uuid.UUID(int=next(count)))

    def gke_id() -> str:
        return f"operation-1796000000000-{next(count):08x}"

    with (
        mock.patch("kfwizard.emulator.serviceusage.operation_suffix", suffix),
        mock.patch("kfwizard.emulator.gke_lifecycle.gke_operation_id", gke_id),
    ):
        yield


@contextmanager
def shot_world() -> Iterator[ShotWorld]:
    """Start the demo emulators (speed 0) in a throwaway ``KFWIZARD_HOME``."""
    from kfwizard.demo import start_demo

    with tempfile.TemporaryDirectory(prefix="kfwizard-shots-") as tmp, ExitStack() as pinned:
        home = Path(tmp)
        (home / "no-tools").mkdir()
        # The "New here?" notice is for people, not pictures: mark it as seen.
        (home / "config").mkdir(mode=0o700)
        prefs = json.dumps({"intro_seen": True})
        (home / "config" / "ui.json").write_text(prefs, encoding="utf-8")
        # kfwizard.paths reads KFWIZARD_HOME from the process environment (the session
        # store, the demo's state folder); the UI shows it as $KFWIZARD_HOME.
        pinned.enter_context(_environ(KFWIZARD_HOME=str(home), **PINNED_ENV))
        pinned.enter_context(_cwd(ROOT))
        pinned.enter_context(no_cursor_blink())
        pinned.enter_context(every_rollout_update())
        pinned.enter_context(numbered_operations())
        demo = start_demo(faults=[], speed=0.0)
        pinned.callback(demo.stop)
        env = {
            **demo.env,
            **PINNED_ENV,
            "KFWIZARD_HOME": str(home),
            "HOME": str(home / "home"),
            "CLOUDSDK_CONFIG": str(home / "gcloud"),
            "PATH": str(home / "no-tools"),
        }
        yield ShotWorld(home=home, demo=demo, env=env)
