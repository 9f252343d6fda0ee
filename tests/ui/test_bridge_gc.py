"""A run keeps the objects that existed before it out of full garbage collections, and
gives them back when it ends (done or cancelled)."""

from __future__ import annotations

import gc
from typing import Any

from kfwizard.screens.install import InstallScreen
from kfwizard.widgets.log_pane import LogPane
from tests.ui.helpers import ChattyStep, PlanApp, WaitingStep, save_session, wait_for

READY_FOR_INSTALL = {
    "credentials": "done",
    "services": "done",
    "cluster": "done",
    "connect": "done",
    "manifests": "done",
}


async def test_freeze_lasts_as_long_as_the_run(store: Any) -> None:
    save_session(store, "s-gc", phase_steps=READY_FOR_INSTALL)
    plans = {"install": [WaitingStep("apply", "Apply manifests")]}
    app = PlanApp(plans, store=store, session_id="s-gc")
    assert gc.get_freeze_count() == 0
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InstallScreen) and app.screen.ready)
        screen = app.screen
        assert isinstance(screen, InstallScreen)
        log = screen.query_one(LogPane)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: "waiting for apply 4" in log.lines, description="the log")
        assert gc.get_freeze_count() > 0
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: screen.last_result is not None, description="the cancel")
        assert screen.last_result.state == "interrupted"
        assert gc.get_freeze_count() == 0

        app.plans["install"] = [ChattyStep("apply", "Apply manifests", 30)]
        screen.start_run()
        assert gc.get_freeze_count() > 0
        await wait_for(pilot, lambda: screen.last_result.state == "done", description="the run")
        assert gc.get_freeze_count() == 0
