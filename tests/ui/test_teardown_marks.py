"""After a teardown the step bar and the session picker say what is left, not what
was once done: one rule (``session_phase_states``) read by both.

The sessions are built with the session's own ``record`` (the journal the runner
writes), so the rule is tested against the shape real runs leave.
"""

from __future__ import annotations

from textual.widgets import DataTable

from kfwizard.app import WizardApp
from kfwizard.screens.sessions import SessionsScreen
from kfwizard.screens.verify import VerifyScreen
from kfwizard.session import Session, SessionStore
from kfwizard.widgets.step_indicator import (
    HALF_REMOVED,
    REMOVED,
    StepIndicator,
    resume_phase,
    session_phase_states,
    teardown_left,
)
from tests.ui.helpers import (
    TEARDOWN,
    PlanApp,
    installed,
    torn_down,
    wait_for,
    wait_for_screen,
)


def test_a_finished_teardown_leaves_no_ticks_on_install_and_verify():
    session = torn_down(installed())
    assert teardown_left(session) == REMOVED
    assert session_phase_states(session) == {
        "project": "done",  # a teardown disables no service
        "cluster": "done",  # kept: no --delete-cluster
        "mode": "done",
        "install": REMOVED,
        "verify": REMOVED,
    }
    # It still opens at Verify, where "Install again…" asks before re-creating it.
    assert resume_phase(session.steps) == "verify"


def test_a_teardown_that_deleted_the_cluster_takes_its_tick_too():
    session = torn_down(installed(), delete_cluster=True)
    assert session_phase_states(session)["cluster"] == REMOVED


def test_a_cluster_the_teardown_found_gone_is_not_ticked():
    session = torn_down(installed())
    session.outputs["find-cluster"] = {"gone": True}
    assert session_phase_states(session)["cluster"] == REMOVED


def test_an_unfinished_teardown_marks_install_and_verify_half_removed():
    session = installed()
    session.record("find-cluster", "running")
    session.record("find-cluster", "done")
    session.record("uninstall", "running")
    session.record("uninstall", "interrupted", "Stopped at your request.")
    session.status = "interrupted"
    assert teardown_left(session) == HALF_REMOVED
    states = session_phase_states(session)
    assert states["install"] == states["verify"] == HALF_REMOVED
    assert states["cluster"] == "done"


def test_a_teardown_stopped_while_gke_deletes_the_cluster_marks_it_half_removed():
    session = installed()
    for step_id in TEARDOWN:
        session.record(step_id, "done")
    session.record("delete-cluster", "running")
    session.outputs["delete-cluster"] = {"operation": "projects/p/locations/l/operations/op-1"}
    session.record("delete-cluster", "interrupted", "Stopped at your request.")
    session.status = "interrupted"
    assert session_phase_states(session)["cluster"] == HALF_REMOVED


def test_a_teardown_run_that_ended_before_removed_was_saved_is_not_finished():
    """The runner saves "done" before the caller marks the session "removed"."""
    session = torn_down(installed())
    session.status = "done"
    assert session_phase_states(session)["install"] == HALF_REMOVED


def test_a_run_after_the_teardown_does_not_bring_the_old_ticks_back():
    """Install again that fails creating the cluster: Install and Verify were deleted
    and not redone, so they are pending, not ✓ (nor "removed": a run is under way)."""
    session = torn_down(installed(), delete_cluster=True)
    session.record("cluster", "running")  # (credentials, services: checked, not recorded)
    session.record("cluster", "failed", "quota")
    session.status = "failed"
    assert teardown_left(session) is None
    assert session_phase_states(session) == {
        "project": "done",
        "cluster": "failed",
        "mode": "done",
        "install": "pending",
        "verify": "pending",
    }


def test_a_phase_recorded_again_after_the_teardown_reads_its_records():
    session = torn_down(installed())
    session.status = "running"
    session.record("preflight", "running")
    session.record("preflight", "done")
    session.record("apply", "running")
    states = session_phase_states(session)
    assert states["install"] == "running"
    assert states["verify"] == "pending"
    for step_id in ("apply", "rollout", "verify"):
        session.record(step_id, "done")
    session.status = "done"
    assert set(session_phase_states(session).values()) == {"done"}


def test_a_phase_never_started_is_not_called_removed():
    """A session stopped after its cluster, then torn down: nothing was installed."""
    session = Session(id="s-early")
    for step_id in ("credentials", "services", "cluster", "connect"):
        session.record(step_id, "done")
    session.record("uninstall", "done")
    session.status = "removed"
    states = session_phase_states(session)
    assert states["install"] == states["verify"] == "pending"


def test_no_teardown_changes_nothing():
    session = installed()
    assert teardown_left(session) is None
    assert set(session_phase_states(session).values()) == {"done"}


def save(store: SessionStore, session: Session) -> Session:
    store.save(session)
    return store.load(session.id)


async def test_the_bar_of_a_torn_down_session_shows_no_install_tick(store):
    save(store, torn_down(installed(), delete_cluster=True))
    app = PlanApp({}, store=store, session_id="s-torn")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_screen(pilot, VerifyScreen)
        indicator = app.screen.query_one(StepIndicator)
        await wait_for(
            pilot, lambda: indicator.states.get("install") == REMOVED, description="states"
        )
        text = indicator.text_for(120).plain
        assert "✓ Project" in text and "✓ Deployment mode" in text
        assert "⊘ Cluster" in text and "⊘ Install" in text
        assert "✓ Install" not in text and "✓ Cluster" not in text
        # A removed step is not a "done" link (only done steps link).
        spans = [str(span.style) for span in indicator.text_for(120).spans]
        assert not any("goto('install')" in style for style in spans)


async def test_the_picker_says_teardown_not_verify_and_never_done(store):
    save(store, torn_down(installed("20261128-1000-aaaa")))
    half = installed("20261128-1100-bbbb")
    half.record("uninstall", "running")
    half.record("uninstall", "failed", "the API server refused")
    half.status = "failed"
    save(store, half)
    unmarked = torn_down(installed("20261128-1200-cccc"))
    unmarked.status = "done"  # killed between the teardown's end and "removed"
    save(store, unmarked)
    save(store, installed("20261128-1300-dddd"))
    app = WizardApp(store=store)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        table = app.screen.query_one(DataTable)
        rows = {
            str(table.get_row_at(i)[4]): (str(table.get_row_at(i)[1]), str(table.get_row_at(i)[2]))
            for i in range(table.row_count)
        }
    assert rows["20261128-1000-aaaa"] == ("Teardown", "removed")
    assert rows["20261128-1100-bbbb"] == ("Teardown", "✗ failed")
    assert rows["20261128-1200-cccc"] == ("Teardown", "in progress")
    assert rows["20261128-1300-dddd"] == ("Verify", "✓ done")


async def test_verify_after_a_teardown_names_the_kept_cluster_and_hides_teardown_once_all_gone(
    store,
):
    """A teardown without --delete-cluster leaves the cluster running, and billed: the
    Verify screen says so and how it goes (t). With the cluster deleted too there is
    nothing left, and the Teardown button goes (t would only say so)."""
    from textual.widgets import Button

    from kfwizard.widgets.checklist import CheckList

    for delete_cluster, kept in ((False, True), (True, False)):
        session = save(store, torn_down(installed(), delete_cluster=delete_cluster))
        app = PlanApp({}, store=store, session_id=session.id)
        async with app.run_test(size=(120, 40)) as pilot:
            verify = await wait_for_screen(pilot, VerifyScreen)
            checks = verify.query_one("#checks", CheckList)
            words = checks.empty
            assert words.startswith("Torn down: what this session installed has been deleted.")
            assert (
                "GKE cluster kubeflow-testing is kept, and billed while it runs: t deletes it."
                in words
            ) is kept, words
            assert verify.query_one("#teardown", Button).display is kept
