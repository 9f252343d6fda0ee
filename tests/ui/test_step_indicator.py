"""The step indicator reflects a session's steps."""

from __future__ import annotations

from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.mode import ModeScreen
from kfwizard.screens.project import ProjectScreen
from kfwizard.widgets.step_indicator import StepIndicator, phase_states, resume_phase
from tests.ui.helpers import PlanApp, save_session, wait_for, wait_for_screen


def test_phase_states_from_step_records():
    steps = {
        "credentials": {"state": "done"},
        "services": {"state": "skipped"},
        "cluster": {"state": "done"},
        "connect": {"state": "interrupted"},
    }
    states = phase_states(steps)
    assert states == {
        "project": "done",
        "cluster": "interrupted",
        "mode": "pending",
        "install": "pending",
        "verify": "pending",
    }
    assert resume_phase(steps) == "cluster"
    assert phase_states({"apply": {"state": "failed"}})["install"] == "failed"
    assert resume_phase({}) == "project"


async def test_indicator_marks_done_current_and_failed(store):
    save_session(
        store,
        "s-ind",
        phase_steps={
            "credentials": "done",
            "services": "done",
            "cluster": "done",
            "connect": "done",
            "manifests": "failed",
        },
    )
    app = PlanApp({}, store=store, session_id="s-ind")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_screen(pilot, ModeScreen)
        indicator = app.screen.query_one(StepIndicator)
        await wait_for(
            pilot, lambda: indicator.states.get("mode") == "failed", description="states"
        )
        assert indicator.current == "mode"
        assert indicator.states["project"] == "done" and indicator.states["cluster"] == "done"
        text = indicator.text_for(120).plain
        assert "✓ Project" in text and "✓ Cluster" in text and "✗ Deployment mode" in text
        assert "○ Install" in text
        assert (
            "Mode" in indicator.text_for(70).plain
            and "Deployment mode" not in indicator.text_for(70).plain
        )


async def test_done_steps_are_links(store):
    save_session(store, "s-link", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({}, store=store, session_id="s-link")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_screen(pilot, ClusterScreen)
        indicator = app.screen.query_one(StepIndicator)
        # "✓ Project" is the first link after the title: click it with the mouse.
        await pilot.click(StepIndicator, offset=(2, 0))
        await wait_for_screen(pilot, ProjectScreen)
        assert indicator is not app.screen.query_one(StepIndicator)
