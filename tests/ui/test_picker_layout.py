"""The session picker at a real terminal's size: a long name is cut so Step, Status,
Updated and ID stay on screen; its keys are the ones that do something; Esc goes back
to the session that was open; the detail line says what happened in the screens' words."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable

from kfwizard.app import WizardApp
from kfwizard.dialogs.confirm import ConfirmDialog
from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.sessions import SessionsScreen, fit, last_problem
from kfwizard.widgets.key_bar import KeyBar
from tests.ui.helpers import save_session, wait_for, wait_for_screen

LONG = "my very long session name for the first kubeflow pipelines trial run on gke"
"""The tester's 74-character name."""
PROJECT_DONE = {"credentials": "done", "services": "done"}


def table_lines(table: DataTable[Any]) -> list[str]:
    return [
        "".join(segment.text for segment in strip)
        for strip in table.render_lines(table.region.reset_offset)
    ]


def detail(screen: Any) -> str:
    return str(screen.query_one("#sessions-detail").render())


async def settle(pilot: Any) -> None:
    for _ in range(3):
        await pilot.pause()


def test_fit_cuts_with_an_ellipsis_only_when_too_long() -> None:
    assert fit("first-kfp", 12) == "first-kfp"
    assert fit(LONG, 12) == "my very lon…"
    assert len(fit(LONG, 12)) == 12


async def test_a_long_name_leaves_every_column_on_screen(store: Any) -> None:
    """At 80 columns only the Name was visible, at 120 the ID was cut; the full name
    is in the detail line. The widest Step ("Deployment mode") is listed too."""
    save_session(store, "20261128-1000-aaaa", name=LONG, phase_steps=PROJECT_DONE)
    cluster_done = {**PROJECT_DONE, "cluster": "done", "connect": "done"}
    save_session(
        store,
        "20261128-0900-bbbb",
        name=LONG + " again",
        phase_steps=cluster_done,
        updated_at="2026-11-28T09:00:00+00:00",
    )
    for width in (80, 120):
        app = WizardApp(store=store)
        async with app.run_test(size=(width, 24)) as pilot:
            screen = await wait_for_screen(pilot, SessionsScreen)
            await settle(pilot)
            table = screen.query_one(DataTable)
            lines = table_lines(table)
            assert "ID" in lines[0] and "Updated" in lines[0], (width, lines[0])
            assert "20261128-1000-aaaa" in lines[1] and "20261128-0900-bbbb" in lines[2], lines
            assert "Deployment mode" in lines[2], lines
            assert "not started" in lines[1] and "not started" in lines[2], lines
            assert LONG not in lines[1] and "…" in lines[1], lines
            assert table.virtual_size.width <= table.scrollable_content_region.width, width
            table.move_cursor(row=0)
            await settle(pilot)
            assert LONG in detail(screen).replace("\n", " ")


async def test_the_names_are_fitted_again_when_the_terminal_widens(store: Any) -> None:
    save_session(store, "20261128-1000-aaaa", name=LONG, phase_steps=PROJECT_DONE)
    app = WizardApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, SessionsScreen)
        table = screen.query_one(DataTable)
        await settle(pilot)
        narrow = str(table.get_row_at(0)[0])
        await pilot.resize_terminal(160, 24)
        await wait_for(pilot, lambda: str(table.get_row_at(0)[0]) != narrow, description="refitted")
        assert str(table.get_row_at(0)[0]) == LONG


async def test_the_key_bar_offers_resume_and_delete_only_with_a_session(store: Any) -> None:
    """With sessions the table has focus, and its own hidden Enter hid "⏎ Resume"; with
    none, Resume and Delete were offered and did nothing."""
    save_session(store, "20261128-1000-aaaa", name="only")
    app = WizardApp(store=store)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = await wait_for_screen(pilot, SessionsScreen)
        bar = screen.query_one(KeyBar)
        wanted = [("⏎", "Resume"), ("n", "New session"), ("d", "Delete")]
        await wait_for(
            pilot,
            lambda: [(k.display, k.description) for k in bar.keys][:3] == wanted,
            description="the key bar of a list with a session",
        )
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), description="ask")
        await pilot.click("#yes")
        await wait_for_screen(pilot, SessionsScreen)
        await wait_for(pilot, lambda: not screen.sessions, description="deleted")
        # The bar follows the focus and bindings a moment after the table empties.
        await wait_for(
            pilot,
            lambda: "Resume" not in [k.description for k in bar.keys],
            description="Resume gone from the key bar",
        )
        shown = [k.description for k in bar.keys]
        assert "New session" in shown
        assert "Delete" not in shown, shown


async def test_escape_returns_to_the_session_that_was_open(store: Any) -> None:
    save_session(store, "20261128-1000-aaaa", name="open-one", phase_steps=PROJECT_DONE)
    save_session(store, "20261128-0900-bbbb", name="other")
    app = WizardApp(store=store, session_id="open-one")
    async with app.run_test(size=(100, 24)) as pilot:
        cluster = await wait_for_screen(pilot, ClusterScreen)
        await wait_for(pilot, lambda: cluster.ready, description="cluster screen filled")
        await settle(pilot)
        app.action_open_sessions()  # the palette's "Open sessions"
        screen = await wait_for_screen(pilot, SessionsScreen)
        await settle(pilot)
        assert "Back" in [k.description for k in screen.query_one(KeyBar).keys]
        assert "escape" in [key for key, _ in screen.help_text()[2]]
        await pilot.press("escape")
        await wait_for_screen(pilot, ClusterScreen)
        assert app.session is not None and app.session.id == "20261128-1000-aaaa"


async def test_as_the_first_screen_the_picker_has_nothing_to_go_back_to(store: Any) -> None:
    save_session(store, "20261128-1000-aaaa", name="one")
    app = WizardApp(store=store)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = await wait_for_screen(pilot, SessionsScreen)
        await settle(pilot)
        assert "Back" not in [k.description for k in screen.query_one(KeyBar).keys]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and app.session is None


INSTALLED_UP_TO_APPLY = {**PROJECT_DONE, "cluster": "done", "connect": "done", "manifests": "done"}


@pytest.mark.parametrize(
    ("steps", "cause", "said"),
    [
        (
            {"preflight": "failed"},
            "No default StorageClass.",
            (
                'Last problem in the "Check the cluster" step:',
                "$text-error",
                "No default StorageClass.",
            ),
        ),
        (
            {"preflight": "done", "apply": "done", "rollout": "interrupted"},
            "Stopped at your request.",
            (
                'Stopped at your request during the "Wait for Kubeflow Pipelines to start" step.',
                "",
                "",
            ),
        ),
        (
            {"preflight": "done", "apply": "interrupted"},
            "stopped before this step started",
            ('Stopped at your request before the "Apply the manifests" step.', "", ""),
        ),
        (
            {"preflight": "done", "apply": "done", "uninstall": "done"}
            | {"wait-namespaces": "interrupted"},
            "Stopped at your request. The namespaces go on terminating.",
            (
                'Stopped at your request during the "Wait for the namespaces to be deleted" step.',
                "",
                "The namespaces go on terminating.",
            ),
        ),
        (
            {"preflight": "done", "apply": "interrupted"},
            "Stopped because the terminal was closed (SIGHUP).",
            (
                'Interrupted during the "Apply the manifests" step:',
                "$text-warning",
                "Stopped because the terminal was closed (SIGHUP).",
            ),
        ),
    ],
    ids=["failed", "user-stop", "stop-between-steps", "teardown-stop", "hang-up"],
)
def test_the_last_problem_names_the_step_as_the_screens_do(
    store: Any, steps: dict[str, str], cause: str, said: tuple[str, str, str]
) -> None:
    """Step ids ("rollout:", "wait-namespaces:") appear on no screen; a stop the user
    asked for is what happened, not a problem."""
    last = next(reversed(steps))
    session = save_session(
        store,
        "20261128-1000-aaaa",
        phase_steps={**INSTALLED_UP_TO_APPLY, **steps},
        causes={last: cause},
    )
    assert last_problem(session) == said


async def test_a_stop_at_your_request_is_not_called_a_problem(store: Any) -> None:
    save_session(
        store,
        "20261128-1000-aaaa",
        name="stopped",
        status="interrupted",
        phase_steps={**INSTALLED_UP_TO_APPLY, "preflight": "done", "rollout": "interrupted"},
        causes={"rollout": "Stopped at your request."},
    )
    app = WizardApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, SessionsScreen)
        await settle(pilot)
        text = detail(screen).replace("\n", " ")
        assert 'Stopped at your request during the "Wait for Kubeflow Pipelines' in text, text
        assert "problem" not in text.lower() and "rollout" not in text, text
