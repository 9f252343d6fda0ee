"""A form screen opens with the cursor in its first field: after the value, without
scrolling the title away, and a first key press adds to the value instead of
replacing it. Tab into a field still selects what it holds."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, RadioSet

from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.project import ProjectScreen
from tests.ui.helpers import PlanApp, save_session, wait_for, wait_for_screen


async def test_project_opens_in_its_first_field(store: Any) -> None:
    save_session(store, "s-focus", selections={"project": "my-proj-1"})
    app = PlanApp({}, store=store, session_id="s-focus", demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, ProjectScreen)
        await wait_for(pilot, lambda: screen.ready)
        await pilot.pause()
        project = screen.query_one("#project", Input)
        assert app.focused is project
        assert screen.query_one("#main").scroll_y == 0, "the title stays in view"

        await pilot.press("2")
        assert project.value == "my-proj-12"

        await pilot.press("tab", "tab")
        name = screen.query_one("#name", Input)
        assert app.focused is name
        await pilot.press("shift+tab", "shift+tab")
        assert app.focused is project
        assert project.selected_text == "my-proj-12", "Tab selects, as everywhere"


async def test_cluster_opens_on_its_first_choice(store: Any) -> None:
    save_session(store, "s-focus-cluster", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({}, store=store, session_id="s-focus-cluster")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, ClusterScreen)
        await wait_for(pilot, lambda: screen.ready)
        await pilot.pause()
        assert app.focused is screen.query_one("#source", RadioSet)
        assert screen.query_one("#main").scroll_y == 0
