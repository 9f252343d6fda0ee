"""Helpers for Pilot tests: wait on conditions (never fixed sleeps), test plans, sessions."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kfwizard.app import WizardApp
from kfwizard.engine.errors import StepFailed
from kfwizard.engine.step import BaseStep, StepContext
from kfwizard.session import Session, SessionStore, StepRecord

FIXED_NOW = "2026-11-28T12:00:00+00:00"
"""The timestamp sessions in snapshots carry; ``PinnedApp`` pins the clock near it."""


async def wait_for(
    pilot: Any, predicate: Callable[[], bool], timeout: float = 20.0, description: str = "condition"
) -> float:
    """Poll ``predicate`` between pauses until it holds; return the seconds it took."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {description}")
        await pilot.pause(0.01)
    return time.monotonic() - started


async def wait_for_panel(pilot: Any, screen: Any, timeout: float = 20.0) -> Any:
    """Wait until the screen's failure panel is shown and painted; return it.

    The panel is mounted on first use, so it may not exist right after a run ends.
    """
    from textual.css.query import NoMatches

    from kfwizard.widgets.failure_panel import FailurePanel

    def painted() -> bool:
        """Shown, and scrolled into view: a click on Retry lands on Retry (the panel
        scrolls itself into view after a refresh, which can lag under load)."""
        try:
            panel = screen.query_one(FailurePanel)
            retry = panel.query_one("#retry")
        except NoMatches:
            return False
        if not panel.has_class("-shown") or not retry.region.area:
            return False
        try:
            under, _ = screen.get_widget_at(*retry.region.center)
        except NoMatches:
            return False
        return under is retry

    await wait_for(pilot, painted, timeout, "the failure panel")
    return screen.query_one(FailurePanel)


READY_FOR_INSTALL = {
    "credentials": "done",
    "services": "done",
    "cluster": "done",
    "connect": "done",
    "manifests": "done",
}
"""``phase_steps`` for ``save_session``: every step before Install is done, so the
session opens on the Install screen."""


def warning_notices(app: Any) -> dict[str, str]:
    """The screen's warning notices: title -> text (the picker's notes on session
    files it set aside or could not read)."""
    from kfwizard.widgets.notice import Notice

    return {
        str(n.border_title): str(n.query_one("Static").render())
        for n in app.screen.query(Notice)
        if n.has_class("-warning")
    }


async def wait_for_screen(pilot: Any, screen_type: type, timeout: float = 10.0) -> Any:
    """Wait until ``screen_type`` is shown and has filled its fields; return it."""
    app = pilot.app
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, screen_type) and getattr(app.screen, "ready", True),
        timeout,
        f"{screen_type.__name__} ready",
    )
    return app.screen


async def goto_screen(pilot: Any, phase: str, screen_type: type) -> Any:
    """From the first screen (Project), go straight to ``phase`` and wait until its
    screen is ready; return it."""
    from kfwizard.screens.project import ProjectScreen

    await wait_for_screen(pilot, ProjectScreen)
    pilot.app.goto(phase)
    return await wait_for_screen(pilot, screen_type)


class ChattyStep(BaseStep):
    """Logs ``total`` lines in calls of ``batch`` lines (the engine batches them further)."""

    def __init__(
        self,
        step_id: str,
        title: str,
        total: int = 20,
        batch: int = 10,
        batches: Sequence[int] | None = None,
    ) -> None:
        self.id, self.title, self.total, self.batch = step_id, title, total, batch
        self.batches = list(batches) if batches else None
        self.eta_seconds = 1.0

    def commands(self, session: Session) -> list[str]:
        return [f"kubectl apply --server-side -f {self.id}.yaml"]

    def apply(self, ctx: StepContext) -> None:
        sent, index = 0, 0
        while sent < self.total:
            size = self.batches[index % len(self.batches)] if self.batches else self.batch
            size = min(size, self.total - sent)
            ctx.log(*(f"{self.id} line {sent + i}" for i in range(size)))
            sent += size
            index += 1
            ctx.check_cancel()
        ctx.detail(
            "deployments",
            [{"name": "ml-pipeline", "ready": "1/1", "state": "ready", "message": ""}],
        )


class FailingStep(BaseStep):
    def __init__(self, step_id: str, title: str) -> None:
        self.id, self.title = step_id, title

    def apply(self, ctx: StepContext) -> None:
        ctx.log("about to fail")
        raise StepFailed(
            "Deployment ml-pipeline never became ready: 0/1 pods Pending (Insufficient cpu).",
            "add a node: gcloud container clusters resize kubeflow-testing --num-nodes=4",
            details=("pod ml-pipeline-abc: 0/3 nodes are available",),
        )


class WaitingStep(BaseStep):
    """Logs a few lines, then waits (cancellable) until told to stop."""

    def __init__(self, step_id: str, title: str, seconds: float = 60.0) -> None:
        self.id, self.title, self.seconds = step_id, title, seconds

    def apply(self, ctx: StepContext) -> None:
        ctx.log(*(f"waiting for {self.id} {i}" for i in range(5)))
        ctx.progress(1, 3, "waiting for 2 Deployments")
        ctx.sleep(self.seconds)


class PlanApp(WizardApp):
    """The real app with a plan of test steps per phase (the ``plan_for`` seam)."""

    def __init__(self, plans: dict[str, list[Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plans = plans or {}

    def plan_for(self, selections: dict[str, Any], phase: str) -> list[Any]:
        return list(self.plans.get(phase, []))


def save_session(
    store: SessionStore,
    session_id: str,
    *,
    name: str = "",
    phase_steps: dict[str, str] | None = None,
    status: str = "new",
    selections: dict[str, Any] | None = None,
    causes: dict[str, str] | None = None,
    outputs: dict[str, Any] | None = None,
    inventory: dict[str, Any] | None = None,
    updated_at: str = FIXED_NOW,
) -> Session:
    """Write a session with fixed id and time (``store.save`` stamps now; undo that)."""
    from kfwizard.answers import defaults

    base = defaults()
    base["project"] = "my-proj-1"
    base.update(selections or {})
    session = Session(
        id=session_id,
        name=name,
        selections=base,
        status=status,
        created_at=FIXED_NOW,
        updated_at=FIXED_NOW,
    )
    for step_id, state in (phase_steps or {}).items():
        session.steps[step_id] = StepRecord(
            state=state,
            cause=(causes or {}).get(step_id),
            action="fix it, then resume" if state == "failed" else None,
        )
    session.outputs.update(outputs or {})
    session.inventory.update(inventory or {})
    store.save(session)
    path = store.path_for(session_id)
    data = json.loads(path.read_text())
    data["updated_at"] = updated_at
    path.write_text(json.dumps(data))
    return store.load(session_id)


def stack_env(stack: Any, tmp_path: Path) -> dict[str, str]:
    """The app's environment for ``stack``: the GKE tests' (its endpoints, and a home,
    gcloud folder, kubeconfig and PATH of the test's own, so nothing of the machine's is
    read), with the UI's deterministic rendering."""
    from tests.gcp.conftest import run_env

    return {**run_env(stack, tmp_path), "KFWIZARD_UI_DETERMINISTIC": "1"}


def clusters_named(stack: Any, name: str = "kubeflow-testing") -> list[Any]:
    """The GKE emulator's clusters called ``name`` (any project)."""
    return [c for c in stack.gke.clusters.values() if c.name == name]


INSTALL = ("credentials", "services", "cluster", "connect", "manifests")
INSTALL += ("preflight", "apply", "rollout", "verify")
TEARDOWN = ("find-cluster", "uninstall", "wait-namespaces")

INSTALLED_OUTPUTS: dict[str, Any] = {
    "preflight": {"checks": [{"name": "capacity", "state": "pass", "message": "fits"}]},
    "rollout": {
        "deployments": [{"name": "ml-pipeline", "ready": "1/1", "state": "ready", "message": ""}]
    },
    "verify": {
        "checks": [{"name": "KFP API healthz", "state": "ok", "message": "tag_name=2.17.0"}],
        "api": {"tag_name": "2.17.0"},
    },
}
"""What an install leaves for the screens to show: preflight checks, the Deployments,
the verify checks."""


def installed(session_id: str = "s-torn") -> Session:
    """A session whose install ran to a verified end, on a cluster it created (the
    answers' default cluster), with the outputs the screens show."""
    from kfwizard.answers import defaults

    session = Session(id=session_id, name=session_id, selections=defaults())
    session.selections["project"] = "my-proj-1"
    for step_id in INSTALL:
        session.record(step_id, "running")
        session.record(step_id, "done")
    session.outputs.update(json.loads(json.dumps(INSTALLED_OUTPUTS)))
    session.inventory["cluster"] = {
        "project": "my-proj-1",
        "location": "us-central1-a",
        "name": "kubeflow-testing",
        "created_by_session": True,
    }
    session.status = "done"
    return session


def torn_down(session: Session, *, delete_cluster: bool = False) -> Session:
    """What a teardown that finished leaves (the runner's records, then "removed")."""
    for step_id in (*TEARDOWN, *(("delete-cluster",) if delete_cluster else ())):
        session.record(step_id, "running")
        session.record(step_id, "done")
    if delete_cluster:
        session.inventory["cluster"]["deleted"] = True
    session.status = "removed"
    return session
