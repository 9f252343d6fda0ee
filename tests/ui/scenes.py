"""Apps set up in known states, for snapshot tests and screenshots.

Each scene returns ``(app, run_before)``: an app over sessions with fixed ids and times,
and an async ``run_before(pilot)`` that brings it to the state and waits for it (workers
done, log drained), so the picture is the same on every run.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from textual.worker import WorkerCancelled

from kfwizard import paths
from kfwizard.session import SessionStore
from tests.ui.helpers import (
    FIXED_NOW,
    ChattyStep,
    FailingStep,
    PlanApp,
    WaitingStep,
    save_session,
    wait_for,
    wait_for_screen,
)

RunBefore = Callable[[Any], Awaitable[None]]
Scene = tuple[Any, RunBefore]

DONE_UNTIL_INSTALL = {
    "credentials": "done",
    "services": "done",
    "cluster": "done",
    "connect": "done",
    "manifests": "done",
}
OUTPUTS = {
    "credentials": {"project": "my-proj-1", "account": "ada@example.com"},
    "cluster": {
        "name": "kubeflow-testing",
        "location": "us-central1-a",
        "version": "1.33.2",
        "created_by_session": True,
        "autopilot": False,
    },
    "connect": {
        "context": "gke_my-proj-1_us-central1-a_kubeflow-testing",
        "server_version": "1.33.2",
    },
    "manifests": {
        "mode": "kfp-standalone",
        "version": "2.17.0",
        "env": "platform-agnostic",
        "source": "release 2.17.0",
        "counts": {
            "Deployment": 14,
            "Service": 14,
            "ConfigMap": 11,
            "ServiceAccount": 12,
            "Role": 9,
            "RoleBinding": 9,
            "CustomResourceDefinition": 8,
            "ClusterRole": 11,
            "ClusterRoleBinding": 8,
            "Secret": 3,
            "PersistentVolumeClaim": 2,
            "Namespace": 1,
        },
        "crds": ["workflows.argoproj.io", "scheduledworkflows.kubeflow.org"],
    },
}
VERIFIED = {
    "verify": {
        "api": {"tag_name": "2.17.0", "commit_sha": "4b1c2d3", "multi_user": False},
        "ui": {"apiServerReady": True},
        "public_url": None,
        "sdk_line": 'pip install "kfp==2.17.0"',
        "checks": [
            {
                "name": "KFP API healthz",
                "state": "ok",
                "message": "tag_name=2.17.0, commit_sha=4b1c2d3",
            },
            {"name": "UI reaches the API", "state": "ok", "message": "apiServerReady=true"},
            {
                "name": "Public URL",
                "state": "warn",
                "message": "none: env platform-agnostic has no inverse proxy",
            },
        ],
    },
}


def pin(app: Any) -> Any:
    app.clock = lambda: datetime.fromisoformat(FIXED_NOW).timestamp() + 180
    return app


def intro_seen() -> None:
    folder = paths.ensure_private_dir(paths.config_dir())
    (folder / "ui.json").write_text(json.dumps({"intro_seen": True}))


async def settle(pilot: Any) -> None:
    """Let workers finish, drain logs and drop toasts, so nothing moves."""
    app = pilot.app
    busy = [w for w in app.workers if w.group != "install" and not w.is_finished]
    if busy:  # an empty list would mean "all workers", install runs included
        with contextlib.suppress(WorkerCancelled):  # a newer lookup replaced an older one
            await app.workers.wait_for_complete(busy)
    for log in app.screen.query("LogPane"):
        await wait_for(pilot, lambda log=log: log.pending == 0, description="log drained")
    await pilot.pause()
    app.clear_notifications()
    await pilot.pause()


def picker() -> Scene:
    store = SessionStore()
    intro_seen()
    save_session(
        store,
        "20261128-0900-a1b2",
        name="first-kfp",
        status="done",
        phase_steps={
            **DONE_UNTIL_INSTALL,
            "preflight": "done",
            "apply": "done",
            "rollout": "done",
            "verify": "done",
        },
        updated_at="2026-11-27T10:00:00+00:00",
    )
    save_session(
        store,
        "20261128-1100-c3d4",
        name="big-cluster",
        status="failed",
        phase_steps={"credentials": "done", "services": "done", "cluster": "failed"},
        causes={
            "cluster": "Zone us-central1-a has no n1-standard-16 capacity "
            "right now (ZONE_RESOURCE_POOL_EXHAUSTED)."
        },
        updated_at="2026-11-28T11:57:00+00:00",
    )
    save_session(
        store,
        "20261128-1130-e5f6",
        name="",
        status="interrupted",
        phase_steps={**DONE_UNTIL_INSTALL, "preflight": "done", "apply": "interrupted"},
        causes={"apply": "Stopped at your request."},
        updated_at="2026-11-28T09:00:00+00:00",
    )
    app = pin(PlanApp({}, store=store))

    async def run_before(pilot: Any) -> None:
        from kfwizard.screens.sessions import SessionsScreen

        screen = await wait_for_screen(pilot, SessionsScreen)
        screen.query_one("DataTable").move_cursor(row=0)
        await settle(pilot)

    return app, run_before


def project_empty() -> Scene:
    store = SessionStore()
    save_session(store, "20261128-1200-0001", name="first-kfp", selections={"project": ""})
    app = pin(PlanApp({}, store=store, session_id="20261128-1200-0001"))

    async def run_before(pilot: Any) -> None:
        from kfwizard.screens.project import ProjectScreen

        await wait_for_screen(pilot, ProjectScreen)
        await settle(pilot)

    return app, run_before


def project_invalid() -> Scene:
    store = SessionStore()
    intro_seen()
    save_session(store, "20261128-1200-0002", name="first-kfp", selections={"project": ""})
    app = pin(PlanApp({}, store=store, session_id="20261128-1200-0002"))

    async def run_before(pilot: Any) -> None:
        from kfwizard.screens.project import ProjectScreen

        screen = await wait_for_screen(pilot, ProjectScreen)
        await settle(pilot)
        screen.query_one("#project").value = "My_Project"
        await pilot.pause()
        await pilot.press("ctrl+n")
        await settle(pilot)

    return app, run_before


def cluster_filled() -> Scene:
    store = SessionStore()
    intro_seen()
    save_session(
        store,
        "20261128-1200-0003",
        name="first-kfp",
        phase_steps={"credentials": "done", "services": "done"},
        outputs={"credentials": OUTPUTS["credentials"]},
    )
    app = pin(PlanApp({}, store=store, session_id="20261128-1200-0003"))

    async def run_before(pilot: Any) -> None:
        from kfwizard.screens.cluster import ClusterScreen

        await wait_for_screen(pilot, ClusterScreen)
        await settle(pilot)

    return app, run_before


def mode_planned() -> Scene:
    store = SessionStore()
    intro_seen()
    save_session(
        store,
        "20261128-1200-0004",
        name="first-kfp",
        phase_steps={k: v for k, v in DONE_UNTIL_INSTALL.items()},
        outputs={k: OUTPUTS[k] for k in ("credentials", "cluster", "connect", "manifests")},
    )
    app = pin(PlanApp({}, store=store, session_id="20261128-1200-0004"))

    async def run_before(pilot: Any) -> None:
        from kfwizard.screens.mode import ModeScreen

        app.goto("mode")
        await wait_for_screen(pilot, ModeScreen)
        await settle(pilot)

    return app, run_before


def install_running() -> Scene:
    store = SessionStore()
    intro_seen()
    save_session(
        store,
        "20261128-1200-0005",
        name="first-kfp",
        phase_steps=DONE_UNTIL_INSTALL,
        outputs={k: OUTPUTS[k] for k in ("cluster", "connect", "manifests")},
    )
    plans = {
        "install": [
            ChattyStep("preflight", "Preflight checks", 12, 12),
            WaitingStep("apply", "Apply manifests", 600),
            ChattyStep("rollout", "Wait for Deployments", 1, 1),
        ]
    }
    app = pin(PlanApp(plans, store=store, session_id="20261128-1200-0005"))

    async def run_before(pilot: Any) -> None:
        from kfwizard.screens.install import InstallScreen

        screen = await wait_for_screen(pilot, InstallScreen)
        await settle(pilot)
        await pilot.press("ctrl+n")
        log = screen.query_one("LogPane")
        await wait_for(pilot, lambda: "waiting for apply 4" in log.lines, description="running")
        await settle(pilot)

    return app, run_before


def install_failed() -> Scene:
    store = SessionStore()
    intro_seen()
    save_session(
        store,
        "20261128-1200-0006",
        name="first-kfp",
        phase_steps=DONE_UNTIL_INSTALL,
        outputs={k: OUTPUTS[k] for k in ("cluster", "connect", "manifests")},
    )
    plans = {
        "install": [
            ChattyStep("preflight", "Preflight checks", 12, 12),
            ChattyStep("apply", "Apply manifests", 40, 20),
            FailingStep("rollout", "Wait for Deployments"),
        ]
    }
    app = pin(PlanApp(plans, store=store, session_id="20261128-1200-0006"))

    async def run_before(pilot: Any) -> None:
        from kfwizard.screens.install import InstallScreen

        screen = await wait_for_screen(pilot, InstallScreen)
        await settle(pilot)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.last_result is not None, description="failed")
        await settle(pilot)

    return app, run_before


INSTALLED = {
    "cluster": {
        "project": "my-proj-1",
        "location": "us-central1-a",
        "name": "kubeflow-testing",
        "created_by_session": True,
    },
    "objects": [{"apiVersion": "v1", "kind": "Namespace", "name": "kubeflow"}],
}
"""What a verified session recorded: its cluster and what it applied (so Teardown
is on offer)."""


def verify_done() -> Scene:
    store = SessionStore()
    intro_seen()
    steps = {
        **DONE_UNTIL_INSTALL,
        "preflight": "done",
        "apply": "done",
        "rollout": "done",
        "verify": "done",
    }
    save_session(
        store,
        "20261128-1200-0007",
        name="first-kfp",
        status="done",
        phase_steps=steps,
        outputs={**OUTPUTS, **VERIFIED},
        inventory=INSTALLED,
    )
    app = pin(PlanApp({}, store=store, session_id="20261128-1200-0007"))

    async def run_before(pilot: Any) -> None:
        from kfwizard.screens.verify import VerifyScreen

        await wait_for_screen(pilot, VerifyScreen)
        await settle(pilot)

    return app, run_before


def help_dialog() -> Scene:
    app, before = cluster_filled()

    async def run_before(pilot: Any) -> None:
        from kfwizard.dialogs.help import HelpDialog

        await before(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpDialog), description="help")
        await settle(pilot)

    return app, run_before


def demo_project() -> Scene:
    store = SessionStore()
    intro_seen()
    save_session(store, "20261128-1200-0008", name="demo", selections={"project": "kfwizard-demo"})
    app = pin(PlanApp({}, store=store, session_id="20261128-1200-0008", demo=True))

    async def run_before(pilot: Any) -> None:
        from kfwizard.screens.project import ProjectScreen

        await wait_for_screen(pilot, ProjectScreen)
        await settle(pilot)

    return app, run_before


def light(make: Callable[[], Scene]) -> Callable[[], Scene]:
    """The same scene in the light theme."""

    def scene() -> Scene:
        app, before = make()
        app.theme = "textual-light"  # before it runs: no restyling while the scene settles
        return app, before

    return scene


SCENES: dict[str, Callable[[], Scene]] = {
    "picker": picker,
    "project_empty": project_empty,
    "project_invalid": project_invalid,
    "cluster_filled": cluster_filled,
    "mode_planned": mode_planned,
    "install_running": install_running,
    "install_failed": install_failed,
    "verify_done": verify_done,
    "help_dialog": help_dialog,
    "demo_project": demo_project,
    "light_cluster_filled": light(cluster_filled),
    "light_install_failed": light(install_failed),
    "light_picker": light(picker),
}
