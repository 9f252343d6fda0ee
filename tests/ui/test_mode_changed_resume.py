"""A session whose Deployment mode choices changed after the manifests were prepared,
and was left before preparing them again, resumes at Deployment mode: the step records
still said done, so it opened at Verify with the new env named over the old plan."""

from __future__ import annotations

import copy
import json
from typing import Any

from kfwizard.answers import defaults
from kfwizard.engine.selection import selection_key_now
from kfwizard.screens.mode import ModeScreen
from kfwizard.screens.verify import VerifyScreen
from kfwizard.widgets.step_indicator import StepIndicator
from tests.ui.helpers import PlanApp, save_session, wait_for, wait_for_screen
from tests.ui.scenes import DONE_UNTIL_INSTALL

ALL_DONE = {**DONE_UNTIL_INSTALL, "preflight": "done", "apply": "done", "verify": "done"}


def _prepared_for_platform_agnostic() -> tuple[dict[str, Any], dict[str, Any]]:
    selections = defaults()
    selections["project"] = "my-proj-1"
    selections["deployment"].update(version="2.17.0", env="platform-agnostic")
    outputs = {
        "connect": {"server_version": "v1.33.2-gke.100"},
        "manifests": {"mode": "kfp-standalone", "version": "2.17.0", "env": "platform-agnostic"},
    }
    outputs["manifests"]["selection_key"] = selection_key_now(selections, outputs)
    return selections, outputs


async def test_changed_env_not_prepared_resumes_at_deployment_mode(store):
    selections, outputs = _prepared_for_platform_agnostic()
    changed = copy.deepcopy(selections)
    changed["deployment"]["env"] = "dev"
    save_session(store, "s-env", phase_steps=ALL_DONE, selections=changed, outputs=outputs)
    app = PlanApp({}, store=store, session_id="s-env")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_screen(pilot, ModeScreen)
        indicator = app.screen.query_one(StepIndicator)
        await wait_for(pilot, lambda: bool(indicator.states), description="states")
        assert indicator.states["mode"] == "pending", indicator.states
        assert not app.screen.phase_done(), "the new env is not prepared"


async def test_unchanged_choices_still_resume_at_verify(store):
    selections, outputs = _prepared_for_platform_agnostic()
    save_session(store, "s-same", phase_steps=ALL_DONE, selections=selections, outputs=outputs)
    app = PlanApp({}, store=store, session_id="s-same")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_screen(pilot, VerifyScreen)
        indicator = app.screen.query_one(StepIndicator)
        await wait_for(pilot, lambda: bool(indicator.states), description="states")
        assert indicator.states["mode"] == "done", indicator.states


def test_the_lists_name_deployment_mode_where_resume_opens_it(store):
    """The picker's and ``kfwizard sessions``' Step column name where Resume opens a
    session: Deployment mode after an unprepared change, Verify otherwise."""
    from kfwizard.screens.sessions import step_text
    from kfwizard.session_list import row_for

    selections, outputs = _prepared_for_platform_agnostic()
    same = save_session(
        store, "s-same", phase_steps=ALL_DONE, selections=selections, outputs=outputs
    )
    changed_selections = copy.deepcopy(selections)
    changed_selections["deployment"]["env"] = "dev"
    changed = save_session(
        store, "s-env", phase_steps=ALL_DONE, selections=changed_selections, outputs=outputs
    )
    assert step_text(same) == "Verify" and step_text(changed) == "Deployment mode"
    rows = {
        s.id: row_for(json.loads(store.path_for(s.id).read_text(encoding="utf-8")))
        for s in (same, changed)
    }
    assert rows["s-same"]["step"] == "Verify" and rows["s-env"]["step"] == "Deployment mode"
