"""A run from a later screen that redoes an earlier step (Verify again over a deleted
cluster re-creates it) shows it: the step bar follows the step records as the run goes,
and the nav line says what is being done again."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from kfwizard.engine.step import BaseStep, StepContext
from kfwizard.screens.verify import VerifyScreen
from kfwizard.widgets.step_indicator import StepIndicator
from tests.ui.helpers import PlanApp, save_session, wait_for, wait_for_screen
from tests.ui.scenes import DONE_UNTIL_INSTALL, INSTALLED, OUTPUTS, VERIFIED

ALL_DONE = {**DONE_UNTIL_INSTALL, "preflight": "done", "apply": "done", "verify": "done"}


class StillDone(BaseStep):
    """A step whose check finds its work in place (the runner skips it)."""

    def __init__(self, step_id: str, title: str) -> None:
        self.id, self.title = step_id, title

    def check(self, ctx: StepContext) -> bool:
        return True


class ClusterGone(BaseStep):
    """The cluster step finding its cluster deleted: its check asks GKE (and takes a
    moment), then it creates the cluster again, a new operation, and waits for it."""

    id = "cluster"
    title = "GKE cluster"

    def check(self, ctx: StepContext) -> bool:
        ctx.sleep(0.3)
        return False

    def apply(self, ctx: StepContext) -> None:
        ctx.outputs["operation"] = "operations/operation-2"
        ctx.log("creating cluster kubeflow-testing in us-central1-a")
        ctx.progress(1, 3, "provisioning")
        ctx.sleep(60)


def nav_status(screen: Any) -> str:
    return str(screen.query_one("#nav-status", Static).render())


async def test_verify_again_over_a_deleted_cluster_shows_the_cluster_being_created_again(store):
    outputs = {**OUTPUTS, **VERIFIED}
    outputs["cluster"] = {**OUTPUTS["cluster"], "operation": "operations/operation-1"}
    save_session(
        store,
        "s-redo",
        status="done",
        phase_steps=ALL_DONE,
        outputs=outputs,
        inventory=INSTALLED,
    )
    plan = [
        StillDone("credentials", "Google credentials and project"),
        ClusterGone(),
        StillDone("preflight", "Check the cluster"),
        StillDone("verify", "Verify the install"),
    ]
    app = PlanApp({"verify": plan}, store=store, session_id="s-redo")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_for_screen(pilot, VerifyScreen)
        bar = screen.query_one(StepIndicator)
        assert bar.states["cluster"] == "done"
        await pilot.press("ctrl+n")  # Verify again
        await wait_for(
            pilot,
            lambda: bar.states.get("cluster") == "running",
            description="the bar's Cluster running again",
        )
        await wait_for(
            pilot,
            lambda: "Creating the cluster again" in nav_status(screen),
            description="the nav line saying so",
        )
        assert "ctrl+x cancels" in nav_status(screen)
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: not screen.running, description="stopped")
        assert bar.states["cluster"] == "interrupted"
        assert "Creating the cluster" not in nav_status(screen)
