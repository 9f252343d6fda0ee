"""Under a failure the nav line says what is on screen: the panel above, a panel
scrolled away, or settings changed since."""

from __future__ import annotations

from typing import Any

from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from kfwizard.engine.step import BaseStep, StepContext
from kfwizard.gcp import explain
from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.install import InstallScreen
from kfwizard.screens.project import ProjectScreen
from tests.ui.helpers import (
    READY_FOR_INSTALL,
    FailingStep,
    PlanApp,
    save_session,
    wait_for,
    wait_for_panel,
    wait_for_screen,
)


def nav_status(screen: Any) -> str:
    return str(screen.query_one("#nav-status", Static).render())


async def test_the_nav_line_stops_pointing_at_a_failure_panel_scrolled_away(store):
    save_session(store, "s-away", phase_steps=READY_FOR_INSTALL)
    app = PlanApp({"install": [FailingStep("preflight", "Check the cluster")]}, store=store)
    app.requested_session_id = "s-away"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        await pilot.press("ctrl+n")
        await wait_for_panel(pilot, screen)
        await wait_for(pilot, lambda: nav_status(screen) == "Stopped: the panel above says why")
        main = screen.query_one("#main", VerticalScroll)
        main.scroll_end(animate=False)
        await wait_for(
            pilot,
            lambda: nav_status(screen) == "Stopped: scroll up to see why",
            description="the nav line following the scroll",
        )
        main.scroll_home(animate=False)
        await wait_for(pilot, lambda: nav_status(screen) == "Stopped: the panel above says why")


class StockedOut(BaseStep):
    id = "cluster"
    title = "GKE cluster"

    def apply(self, ctx: StepContext) -> None:
        facts = explain.Facts(location="us-central1-a", machine_type="n1-standard-2")
        raise explain.stockout_failure("ZONE_RESOURCE_POOL_EXHAUSTED", facts)


async def test_the_nav_line_says_the_settings_changed_since_the_failure(store):
    save_session(store, "s-changed", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({"cluster": [StockedOut()]}, store=store, session_id="s-changed")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, ClusterScreen)
        await pilot.press("ctrl+n")
        await wait_for_panel(pilot, screen)
        location = screen.query_one("#location", Input)
        location.value = "us-central1"  # a region: a node pool in each of three zones
        await wait_for(
            pilot,
            lambda: nav_status(screen) == "Settings changed · ≈ $0.95/hour, $697/month",
            description="the nav line saying the settings changed, with the new price",
        )


class NoProject(BaseStep):
    id = "credentials"
    title = "Google credentials and project"

    def apply(self, ctx: StepContext) -> None:
        raise explain.not_found_failure("services.list", "not found", explain.Facts("my-proj-1"))


async def test_the_nav_line_says_the_project_changed_since_the_failure(store):
    save_session(store, "s-project")
    app = PlanApp({"project": [NoProject()]}, store=store, session_id="s-project")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, ProjectScreen)
        await pilot.press("ctrl+n")
        await wait_for_panel(pilot, screen)
        screen.query_one("#project", Input).value = "my-proj-2"
        await wait_for(
            pilot,
            lambda: nav_status(screen) == "Settings changed: ctrl+n tries again",
            description="the nav line saying the settings changed",
        )
