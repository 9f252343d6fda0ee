"""The session picker: list, resume at the right step, delete with confirmation, set-aside."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from kfwizard.app import WizardApp
from kfwizard.dialogs.confirm import ConfirmDialog
from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.project import ProjectScreen
from kfwizard.screens.sessions import SessionsScreen, human_ago
from kfwizard.widgets.failure_panel import FailurePanel
from kfwizard.widgets.notice import Notice
from tests.ui.helpers import save_session, wait_for, wait_for_screen

SIZE = (100, 32)


async def test_no_sessions_opens_a_new_project_screen(store):
    app = WizardApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ProjectScreen)
        assert app.session is not None
        assert store.exists(app.session.id)


async def test_lists_sessions_and_resumes_the_right_phase(store):
    save_session(store, "20261128-1000-aaaa", name="first-kfp")
    save_session(
        store,
        "20261128-1100-bbbb",
        name="broken-cluster",
        status="failed",
        phase_steps={"credentials": "done", "services": "done", "cluster": "failed"},
        causes={"cluster": "Zone us-central1-a has no n1-standard-2 capacity."},
    )
    app = WizardApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        table = app.screen.query_one(DataTable)
        names = [table.get_row_at(i)[0] for i in range(table.row_count)]
        assert sorted(names) == ["broken-cluster", "first-kfp"]
        row = names.index("broken-cluster")
        table.move_cursor(row=row)
        await pilot.pause()
        assert "no n1-standard-2 capacity" in str(app.screen.query_one("#sessions-detail").render())
        await pilot.press("enter")
        await wait_for_screen(pilot, ClusterScreen)
        assert app.session is not None and app.session.id == "20261128-1100-bbbb"
        panel = app.screen.query_one(FailurePanel)
        await wait_for(pilot, lambda: panel.has_class("-shown"), description="failure panel")
        assert "no n1-standard-2 capacity" in str(panel.query_one("#failure-cause").render())


async def test_resume_by_name_opens_that_session_and_an_ambiguous_name_says_why_not(store):
    cluster_failed = {"credentials": "done", "services": "done", "cluster": "failed"}
    save_session(store, "20261128-1100-bbbb", name="broken", phase_steps=cluster_failed)
    app = WizardApp(store=store, session_id="broken")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ClusterScreen)
        assert app.session is not None and app.session.id == "20261128-1100-bbbb"
    save_session(store, "20261128-1200-cccc", name="broken")
    app = WizardApp(store=store, session_id="broken")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        notice = str(app.screen.query_one(Notice).query_one("Static").render())
        assert "Several sessions are named 'broken'" in notice
        assert "20261128-1100-bbbb" in notice and "20261128-1200-cccc" in notice


async def test_a_running_session_without_its_process_reads_interrupted(store):
    """Its process was killed (a closed terminal): not "running" any more."""
    steps = {"credentials": "done", "services": "running"}
    save_session(store, "20261128-1200-cccc", name="killed", status="running", phase_steps=steps)
    store.lock("20261128-1200-cccc").path.write_text("0")  # no such process
    app = WizardApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        table = app.screen.query_one(DataTable)
        assert "interrupted" in str(table.get_row_at(0)[2])
        detail = str(app.screen.query_one("#sessions-detail").render())
        gone = 'during the "Google Cloud APIs" step: the kfwizard process running it ended'
        assert gone in detail
        await pilot.press("enter")  # resume: the screen shows the stop, and it is saved
        await wait_for_screen(pilot, ProjectScreen)
        panel = app.screen.query_one(FailurePanel)
        await wait_for(pilot, lambda: panel.has_class("-shown"), description="failure panel")
        assert "ended unexpectedly" in str(panel.query_one("#failure-cause").render())
    saved = store.load("20261128-1200-cccc")
    assert saved.steps["services"].state == "interrupted" and saved.status == "interrupted"


async def test_delete_asks_then_removes(store):
    save_session(store, "20261128-1000-aaaa", name="doomed")
    save_session(store, "20261128-1100-bbbb", name="kept")
    app = WizardApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        screen = app.screen
        table = screen.query_one(DataTable)
        names = [table.get_row_at(i)[0] for i in range(table.row_count)]
        table.move_cursor(row=names.index("doomed"))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), description="confirm")
        assert store.exists("20261128-1000-aaaa"), "nothing is deleted before confirming"
        await pilot.click("#yes")
        await wait_for(pilot, lambda: not store.exists("20261128-1000-aaaa"), description="deleted")
        await wait_for(pilot, lambda: table.row_count == 1, description="table refreshed")
        assert store.exists("20261128-1100-bbbb")


async def test_delete_can_be_cancelled(store):
    save_session(store, "20261128-1000-aaaa", name="kept")
    app = WizardApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), description="confirm")
        await pilot.press("escape")
        await wait_for_screen(pilot, SessionsScreen)
        assert store.exists("20261128-1000-aaaa")


async def test_corrupt_session_file_is_set_aside_with_a_notice(store):
    save_session(store, "20261128-1000-aaaa", name="fine")
    store.folder.joinpath("20261128-0900-dead.json").write_text("{ not json", encoding="utf-8")
    app = WizardApp(store=SessionStoreFresh(store))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        notices = [n for n in app.screen.query(Notice) if n.has_class("-warning")]
        assert notices, "a set-aside notice is shown"
        text = str(notices[0].query_one("Static").render())
        assert "20261128-0900-dead.json" in text and "not valid JSON" in text
        assert not store.folder.joinpath("20261128-0900-dead.json").exists()
        assert any(store.folder.joinpath("set-aside").iterdir())


@pytest.mark.parametrize("with_resumable", [True, False], ids=["beside-another", "alone"])
async def test_newer_kfwizard_session_is_named_and_left_in_place(store, with_resumable):
    """Alone, it still opens the picker: starting a new session silently would hide it."""
    import json

    from kfwizard.session_list import SCHEMA_VERSION

    if with_resumable:
        save_session(store, "20261128-1000-aaaa", name="fine")
    store.folder.mkdir(parents=True, exist_ok=True)
    newer = store.folder / "20261128-0900-beef.json"
    data = {"schema_version": SCHEMA_VERSION + 1, "id": "x"}
    newer.write_text(json.dumps(data), encoding="utf-8")
    app = WizardApp(store=SessionStoreFresh(store))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        notices = [n for n in app.screen.query(Notice) if n.has_class("-warning")]
        texts = [str(n.query_one("Static").render()) for n in notices]
        assert len(texts) == 1, texts
        assert "20261128-0900-beef.json" in texts[0] and "newer kfwizard" in texts[0]
        assert newer.exists(), "a newer kfwizard still needs its file"


def SessionStoreFresh(store):
    """A new store on the same folder (its set-aside list starts empty)."""
    from kfwizard.session import SessionStore

    return SessionStore(store.folder)


def test_human_ago():
    from datetime import datetime

    now = datetime.fromisoformat("2026-11-28T12:00:00+00:00").timestamp()
    assert human_ago("2026-11-28T11:59:30+00:00", now) == "just now"
    assert human_ago("2026-11-28T11:57:00+00:00", now) == "3 min ago"
    assert human_ago("2026-11-28T09:00:00+00:00", now) == "3 h ago"
    assert human_ago("2026-11-27T10:00:00+00:00", now) == "yesterday"
    assert human_ago("2026-11-20T10:00:00+00:00", now) == "8 days ago"
    assert human_ago("2026-01-01T10:00:00+00:00", now) == "2026-01-01"
    assert human_ago("garbage", now) == "unknown"
