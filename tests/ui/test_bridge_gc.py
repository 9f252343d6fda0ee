"""The app keeps its start-up objects, and a run the objects that existed before it,
out of full garbage collections; the end of a run (done or cancelled) gives them all
back."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from typing import Any

from kfwizard.screens.install import InstallScreen
from kfwizard.widgets.log_pane import LogPane
from tests.ui.helpers import (
    READY_FOR_INSTALL,
    ChattyStep,
    PlanApp,
    WaitingStep,
    save_session,
    wait_for,
    wait_for_screen,
)


async def test_freeze_lasts_as_long_as_the_run(store: Any) -> None:
    save_session(store, "s-gc", phase_steps=READY_FOR_INSTALL)
    plans = {"install": [WaitingStep("apply", "Apply manifests")]}
    app = PlanApp(plans, store=store, session_id="s-gc")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
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


FRESH_PROCESS = """
import gc
from kfwizard.app import WizardApp
assert gc.get_freeze_count() == 0
WizardApp()
frozen = gc.get_freeze_count()
assert frozen > 10_000, frozen  # the imports: textual's and kfwizard's modules
WizardApp()
assert gc.get_freeze_count() == frozen, "a second app froze again"
print("ok")
"""


def test_the_first_app_freezes_the_imports_once(tmp_path: Any) -> None:
    env = dict(os.environ, KFWIZARD_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.stdout.strip() == "ok", done.stderr
