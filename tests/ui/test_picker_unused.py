"""A new session left for the picker with nothing chosen or run in it is not kept: each
"n" then Esc used to leave another "Project · not started" row behind. One with a name
typed, or any selection changed, stays."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, RadioButton

from kfwizard.screens.project import ProjectScreen
from kfwizard.screens.sessions import SessionsScreen
from tests.ui.helpers import PlanApp, save_session, wait_for, wait_for_screen

SIZE = (80, 24)
KEPT = "20261128-1000-aaaa"


def listed(store: Any) -> list[str]:
    return sorted(session.id for session in store.list())


async def new_then_back(pilot: Any, change: Any = None) -> str:
    """On the picker: n, maybe change something on the Project screen, Esc back to the
    picker; return the new session's id."""
    app = pilot.app
    await pilot.press("n")
    screen = await wait_for_screen(pilot, ProjectScreen)
    session_id = app.session.id
    project = screen.query_one("#project", Input)
    await wait_for(pilot, lambda: project.value, description="the project filled in")
    assert project.value == ("kfwizard-demo" if app.demo else "detected-proj")
    if change is not None:
        await change(pilot, screen)
    await pilot.press("escape")
    await wait_for_screen(pilot, SessionsScreen)
    return session_id


@pytest.mark.parametrize("demo", [False, True], ids=["real", "demo"])
async def test_n_then_esc_leaves_no_session_behind(store, monkeypatch, demo):
    monkeypatch.setenv("CLOUDSDK_CORE_PROJECT", "detected-proj")  # filled in, not chosen
    save_session(store, KEPT, name="first-kfp")
    app = PlanApp({}, store=store, demo=demo)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        for _ in range(3):
            await new_then_back(pilot)
            assert listed(store) == [KEPT]
        picker = app.screen
        assert not picker.check_action("back", ()), "no Back to a session that is gone"
        # n again starts a new one as before.
        await pilot.press("n")
        await wait_for_screen(pilot, ProjectScreen)
        assert app.session is not None and store.exists(app.session.id)


async def type_a_name(pilot: Any, screen: Any) -> None:
    screen.query_one("#name", Input).value = "second-try"
    await pilot.pause()


async def type_a_project(pilot: Any, screen: Any) -> None:
    screen.query_one("#project", Input).value = "my-own-proj"
    await pilot.pause()


async def only_check_the_apis(pilot: Any, screen: Any) -> None:
    screen.query_one("#services-check", RadioButton).value = True
    await pilot.pause()


@pytest.mark.parametrize("change", [type_a_name, type_a_project, only_check_the_apis])
async def test_a_new_session_with_anything_chosen_is_kept(store, monkeypatch, change):
    monkeypatch.setenv("CLOUDSDK_CORE_PROJECT", "detected-proj")
    save_session(store, KEPT, name="first-kfp")
    app = PlanApp({}, store=store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        session_id = await new_then_back(pilot, change)
        await wait_for(pilot, lambda: app.screen.ready, description="picker filled")
        assert listed(store) == sorted([KEPT, session_id])
        assert app.screen.check_action("back", ()), "Back goes to it"
