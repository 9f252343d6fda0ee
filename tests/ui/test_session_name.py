"""The session name is a label: typing it saves it and shows it, and leaves a done
Project step done."""

from __future__ import annotations

from textual.widgets import Button, Input, Static

from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.project import ProjectScreen
from tests.ui.helpers import PlanApp, save_session, wait_for, wait_for_screen


async def test_naming_the_session_keeps_a_done_project_step_done(store):
    save_session(store, "s-name", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({}, store=store, session_id="s-name")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, ClusterScreen)
        app.goto("project")
        screen = await wait_for_screen(pilot, ProjectScreen)
        assert str(screen.query_one("#next", Button).label) == "Next: Cluster →"
        screen.query_one("#name", Input).focus()
        await pilot.press(*"first-kfp")
        await wait_for(pilot, lambda: app.session.name == "first-kfp", description="the name taken")
        await pilot.pause()
        assert str(screen.query_one("#next", Button).label) == "Next: Cluster →"
        assert "This step is done" in str(screen.query_one("#nav-status", Static).render())
        assert "session first-kfp" in str(screen.query_one("#screen-title", Static).render())
        assert screen.query_one("#steps").states["project"] == "done"
        app.flush_save()
        assert store.load("s-name").name == "first-kfp"
