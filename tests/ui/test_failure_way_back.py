"""The failure panel's second button goes where the advice points: the field to change
on this screen ("Change settings"), the earlier screen where the setting is chosen
("Back to Cluster"), or the previous step when there is nothing to change here."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Button, Input

from kfwizard.app import WizardApp
from kfwizard.engine.errors import BadInput, StepFailed
from kfwizard.engine.step import BaseStep, StepContext
from kfwizard.engine.steps.cluster import _not_ours
from kfwizard.gcp import explain
from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.install import InstallScreen
from kfwizard.screens.mode import ModeScreen
from kfwizard.screens.project import ProjectScreen
from tests.ui.helpers import (
    READY_FOR_INSTALL,
    FailingStep,
    PlanApp,
    save_session,
    stack_env,
    wait_for,
    wait_for_panel,
    wait_for_screen,
)

FACTS = explain.Facts(
    project="my-proj-1",
    location="us-central1-a",
    cluster="kubeflow-testing",
    machine_type="n1-standard-2",
    nodes=3,
)
STOCKOUT = "ZONE_RESOURCE_POOL_EXHAUSTED: does not have enough resources in us-central1-a"


@pytest.mark.parametrize(
    ("failure", "setting"),
    [
        (_not_ours("my-proj-1", "us-central1-a", "kubeflow-testing"), "cluster.source"),
        (explain.stockout_failure(STOCKOUT, FACTS), "cluster.location"),
        (explain.cpu_quota_failure("Quota 'CPUS' exceeded", FACTS), "cluster.machine_type"),
        (explain._location_failure("Invalid location", FACTS), "cluster.location"),
        (explain.not_found_failure("cluster.get", "not found", FACTS), "cluster.name"),
        (explain._permission_failure("cluster.create", "denied", FACTS), "cluster.source"),
        (explain._permission_failure("services.list", "denied", FACTS), "project"),
        (explain.service_disabled_failure("container.googleapis.com", FACTS), "services"),
        (BadInput("cluster.nodes", "must be at least 1", 0), "cluster.nodes"),
        (BadInput("deployment.gcp.bucket", "is not a bucket name", "x"), "deployment.gcp.bucket"),
        (StepFailed("Cluster X was still provisioning after 30 minutes.", "resume later"), None),
        (StepFailed("Google Cloud did not accept your credentials.", "run gcloud auth"), None),
    ],
)
def test_the_setting_a_failure_asks_to_change(failure: Any, setting: str | None) -> None:
    from kfwizard.screens.base import setting_to_change

    assert setting_to_change(failure.cause, failure.action or "") == setting


def test_an_install_failure_about_nodes_is_not_the_cluster_forms_business() -> None:
    """kfwizard does not resize a cluster: "a larger machine type" after it exists is a
    node pool to add, not the Cluster form's Machine type."""
    from kfwizard.screens.base import setting_to_change

    action = "add a node pool with a larger machine type (such as e2-standard-4), then resume"
    assert setting_to_change("0/3 nodes are available", action, words=False) is None


def back_button(screen: Any) -> Button:
    return screen.query_one("#failure-back", Button)


async def press_back(pilot: Any, screen: Any) -> None:
    """The panel's second button, from the keyboard: a click aims at where the button
    was drawn, and under load the panel could still be scrolling into view."""
    back_button(screen).focus()
    await pilot.pause()
    await pilot.press("enter")


async def test_a_stockout_on_the_cluster_step_takes_the_user_to_its_location(store, tmp_path):
    """GKE has no capacity in the zone: the advice is another zone, on this screen, so
    the button is "Change settings" and puts the cursor in Location, not on Project."""
    from kfwizard.emulator.faults import Faults
    from kfwizard.emulator.stack import EmulatorStack

    with EmulatorStack(
        project="kfwizard-ui-test", speed=0.0, faults=Faults.named("zone-stockout")
    ) as stack:
        app = WizardApp(env=stack_env(stack, tmp_path), store=store)
        async with app.run_test(size=(100, 32)) as pilot:
            project = await wait_for_screen(pilot, ProjectScreen)
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: project.last_result is not None, timeout=30)
            assert project.last_result.state == "done", project.last_result
            await pilot.press("ctrl+n")
            screen = await wait_for_screen(pilot, ClusterScreen)
            await pilot.press("ctrl+n")
            await wait_for_panel(pilot, screen, timeout=30)
            assert "another zone" in screen.last_result.action
            assert str(back_button(screen).label) == "Change settings"
            await press_back(pilot, screen)
            await wait_for(
                pilot,
                lambda: app.focused is screen.query_one("#location", Input),
                description="Location focused",
            )
            assert app.screen is screen


class StockedOut(BaseStep):
    """The cluster step, run again from Install (its cluster gone), out of capacity."""

    id = "cluster"
    title = "GKE cluster"

    def apply(self, ctx: StepContext) -> None:
        raise explain.stockout_failure(STOCKOUT, FACTS)


async def test_a_cluster_failure_on_the_install_screen_goes_back_to_the_cluster_location(store):
    save_session(store, "s-way", phase_steps=READY_FOR_INSTALL)
    app = PlanApp({"install": [StockedOut()]}, store=store, session_id="s-way")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        await pilot.press("ctrl+n")
        await wait_for_panel(pilot, screen)
        assert str(back_button(screen).label) == "Back to Cluster"
        await press_back(pilot, screen)
        cluster = await wait_for_screen(pilot, ClusterScreen)
        await wait_for(
            pilot,
            lambda: app.focused is cluster.query_one("#location", Input),
            description="Location focused",
        )


async def test_an_install_failure_with_nothing_to_change_here_goes_back_a_step(store):
    save_session(store, "s-back", phase_steps=READY_FOR_INSTALL)
    app = PlanApp({"install": [FailingStep("preflight", "Check the cluster")]}, store=store)
    app.requested_session_id = "s-back"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        await pilot.press("ctrl+n")
        await wait_for_panel(pilot, screen)
        assert str(back_button(screen).label) == "Back"
        await press_back(pilot, screen)
        await wait_for_screen(pilot, ModeScreen)
