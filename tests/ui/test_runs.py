"""Runs through the bridge: a real Runner with test steps, failures, cancel, quit."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.widgets import Button, DataTable

from kfwizard.dialogs.confirm import ConfirmDialog
from kfwizard.engine.events import PlanFinished, PlanStarted, StepFinished, StepOutput
from kfwizard.engine.options import DEMO_TIMEOUTS
from kfwizard.engine.step import StepContext
from kfwizard.messages import EngineEvent, RunFinished
from kfwizard.screens.install import InstallScreen
from kfwizard.widgets.log_pane import LogPane
from kfwizard.widgets.step_indicator import StepIndicator
from tests.ui.helpers import (
    READY_FOR_INSTALL,
    ChattyStep,
    FailingStep,
    PlanApp,
    WaitingStep,
    save_session,
    wait_for,
    wait_for_panel,
    wait_for_screen,
)

SIZE = (100, 32)


def install_workers(app):
    return [w for w in app.workers if w.group == "install"]


async def test_bridge_passes_events_from_a_real_runner(store):
    save_session(store, "s-run", phase_steps=READY_FOR_INSTALL)
    plans = {
        "install": [
            ChattyStep("preflight", "Preflight", 30, 10),
            ChattyStep("apply", "Apply manifests", 250, 50),
            ChattyStep("rollout", "Wait for Deployments", 40, 40),
        ]
    }
    messages = []
    app = PlanApp(plans, store=store, session_id="s-run")
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await wait_for_screen(pilot, InstallScreen)
        screen = app.screen
        await pilot.press("ctrl+n")
        await app.workers.wait_for_complete(install_workers(app))
        await wait_for(pilot, lambda: screen.last_result is not None, description="run finished")
        log = screen.query_one(LogPane)
        await wait_for(
            pilot, lambda: log.pending == 0 and log.lines_received >= 320, description="log drained"
        )
        # The hook sees a message at each pump it reaches (bridge, then screen): dedupe.
        unique = list({id(m): m for m in messages}.values())
        events = [m.event for m in unique if isinstance(m, EngineEvent)]
        assert isinstance(events[0], PlanStarted)
        assert isinstance(events[-1], PlanFinished) and events[-1].state == "done"
        output = [line for e in events if isinstance(e, StepOutput) for line in e.lines]
        assert len(output) == 320
        assert [e.step_id for e in events if isinstance(e, StepFinished)] == [
            "preflight",
            "apply",
            "rollout",
        ]
        assert any(isinstance(m, RunFinished) for m in messages)
        assert "apply line 249" in log.lines
        assert screen.query_one("#deployments", DataTable).row_count == 1
        session = store.load("s-run")
        assert session.status == "done"
        assert all(session.steps[s].state == "done" for s in ("preflight", "apply", "rollout"))
        states = screen.query_one(StepIndicator).states
        assert states["install"] == "done" and states["project"] == "done"
        assert str(screen.query_one("#next", Button).label) == "Next: Verify →"


async def test_failure_shows_cause_next_action_and_retry(store):
    save_session(store, "s-fail", phase_steps=READY_FOR_INSTALL)
    plans = {
        "install": [
            ChattyStep("preflight", "Preflight", 5, 5),
            FailingStep("rollout", "Wait for Deployments"),
        ]
    }
    app = PlanApp(plans, store=store, session_id="s-fail")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, InstallScreen)
        screen = app.screen
        await pilot.press("ctrl+n")
        await app.workers.wait_for_complete(install_workers(app))
        panel = await wait_for_panel(pilot, screen)
        assert "Insufficient cpu" in str(panel.query_one("#failure-cause").render())
        assert "gcloud container clusters resize" in str(
            panel.query_one("#failure-action").render()
        )
        assert "0/3 nodes are available" in str(panel.query_one("#failure-details").render())
        assert screen.query_one(StepIndicator).states["install"] == "failed"
        assert store.load("s-fail").steps["rollout"].state == "failed"
        # Retry runs the plan again; the step fails again and the panel comes back. Retry
        # has the focus (a keyboard user presses Enter); pressing it by the keyboard cannot
        # miss while the panel is still scrolling into view, as a click at its old place can.
        retry = panel.query_one("#retry", Button)
        await wait_for(pilot, lambda: retry.has_focus, description="focus on Retry")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: store.load("s-fail").steps["rollout"].attempts == 2,
            description="second attempt",
        )
        await app.workers.wait_for_complete(install_workers(app))
        await wait_for(pilot, lambda: panel.has_class("-shown"), description="failure again")


async def test_cancel_leaves_the_session_interrupted(store):
    save_session(store, "s-cancel", phase_steps=READY_FOR_INSTALL)
    plans = {
        "install": [
            WaitingStep("preflight", "Preflight"),
            ChattyStep("apply", "Apply manifests", 5, 5),
        ]
    }
    app = PlanApp(plans, store=store, session_id="s-cancel")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, InstallScreen)
        screen = app.screen
        await pilot.press("ctrl+n")
        log = screen.query_one(LogPane)
        await wait_for(pilot, lambda: "waiting for preflight 4" in log.lines, description="running")
        assert screen.running
        await pilot.press("ctrl+x")
        await app.workers.wait_for_complete(install_workers(app))
        await wait_for(pilot, lambda: screen.last_result is not None, description="stopped")
        assert screen.last_result.state == "interrupted"
        session = store.load("s-cancel")
        assert session.status == "interrupted"
        assert session.steps["preflight"].state == "interrupted"
        assert session.steps["apply"].state == "pending"
        panel = await wait_for_panel(pilot, screen)
        assert str(panel.query_one("#retry", Button).label) == "Resume"


class OptionsStep(ChattyStep):
    """Records the run options the step saw."""

    seen: ClassVar[list[dict[str, Any]]] = []

    def apply(self, ctx: StepContext) -> None:
        self.seen.append(dict(ctx.options))


async def test_runs_get_the_same_options_as_headless_runs(store):
    """KFWIZARD_TIMEOUTS, the demo's short waits and skip_checks reach every step."""
    save_session(
        store,
        "s-options",
        phase_steps=READY_FOR_INSTALL,
        selections={"skip_checks": {"capacity": "autoscaler adds nodes"}},
    )
    OptionsStep.seen.clear()
    plans = {"install": [OptionsStep("preflight", "Preflight")]}
    env = {"KFWIZARD_TIMEOUTS": "rollout=42", "NO_GCE_CHECK": "true"}
    app = PlanApp(plans, store=store, session_id="s-options", env=env, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, InstallScreen)
        screen = app.screen
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.last_result is not None, description="run finished")
    (options,) = OptionsStep.seen
    assert options["timeouts"] == {**DEMO_TIMEOUTS, "rollout": 42.0}
    assert options["skip_checks"] == {"capacity": "autoscaler adds nodes"}
    assert options["demo"] is True and options["env"]["KFWIZARD_TIMEOUTS"] == "rollout=42"


async def test_a_bad_timeouts_variable_is_shown_not_a_crash(store):
    save_session(store, "s-bad-env", phase_steps=READY_FOR_INSTALL)
    OptionsStep.seen.clear()
    plans = {"install": [OptionsStep("preflight", "Preflight")]}
    app = PlanApp(plans, store=store, session_id="s-bad-env", env={"KFWIZARD_TIMEOUTS": "soon"})
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, InstallScreen)
        screen = app.screen
        await pilot.press("ctrl+n")
        panel = await wait_for_panel(pilot, screen)
        assert "KFWIZARD_TIMEOUTS" in str(panel.query_one("#failure-cause").render())
        assert not screen.running and not screen.query_one("#next", Button).disabled
    assert OptionsStep.seen == []


async def quit_during_the_run(pilot: Any) -> Any:
    """On the Install screen, start its run and press Ctrl+Q; return the question."""
    app = pilot.app
    await wait_for_screen(pilot, InstallScreen)
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: app.run_in_progress(), description="running")
    await pilot.press("ctrl+q")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), description="asks")
    return app.screen


async def test_quit_during_a_run_asks_cancels_and_saves(store):
    save_session(store, "s-quit", phase_steps=READY_FOR_INSTALL)
    plans = {"install": [WaitingStep("preflight", "Preflight")]}
    app = PlanApp(plans, store=store, session_id="s-quit")
    async with app.run_test(size=SIZE) as pilot:
        await quit_during_the_run(pilot)
        await pilot.click("#yes")
        await app.workers.wait_for_complete(install_workers(app))
        await wait_for(
            pilot, lambda: app.return_code is not None or app._exit, timeout=10, description="exit"
        )
    assert app.return_value == 130
    session = store.load("s-quit")
    assert session.status == "interrupted"
    assert session.steps["preflight"].state == "interrupted"


async def test_quit_when_idle_exits_at_once(store):
    save_session(store, "s-idle")
    app = PlanApp({}, store=store, session_id="s-idle")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app._exit, description="exit")
    assert app.return_value == 0


async def test_a_quit_question_left_open_while_the_step_ends_asks_what_is_true(store):
    """The step ends on its own behind "Stop and quit?": the dialog then asks "Quit?"
    and says how the step ended (it used to go on offering to stop a step that no
    longer ran), and a yes quits without marking anything interrupted."""
    save_session(store, "s-ends", phase_steps=READY_FOR_INSTALL)
    plans = {"install": [WaitingStep("preflight", "Preflight", seconds=0.5)]}
    app = PlanApp(plans, store=store, session_id="s-ends")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await quit_during_the_run(pilot)
        await wait_for(pilot, lambda: not app.run_in_progress(), description="the step ends")
        await wait_for(
            pilot,
            lambda: str(dialog.query_one("#confirm-title").render()) == "Quit?",
            description="the question restated",
        )
        body = str(dialog.query_one("#confirm-body").render())
        assert body.startswith("The step finished while you were deciding"), body
        assert dialog.query_one("#yes", Button).label.plain == "Quit"
        assert dialog.query_one("#no", Button).label.plain == "Stay"
        await pilot.click("#yes")
        await wait_for(pilot, lambda: app._exit, description="exit")
    assert app.return_value == 0
    assert store.load("s-ends").steps["preflight"].state == "done"


async def test_a_run_lists_its_steps_pending_until_each_is_checked_again(store):
    """Connect had failed on the old cluster; a run of the Cluster step (a replacement
    cluster) showed that mark until Connect ran again. The run starts its rows pending."""
    from kfwizard.screens.cluster import ClusterScreen
    from kfwizard.widgets.step_list import StepList

    save_session(
        store,
        "s-rows",
        phase_steps={
            "credentials": "done",
            "services": "done",
            "cluster": "done",
            "connect": "failed",
        },
    )
    plans = {"cluster": [WaitingStep("cluster", "GKE cluster"), WaitingStep("connect", "Connect")]}
    app = PlanApp(plans, store=store, session_id="s-rows")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ClusterScreen)
        step_list = screen.query_one("#step-list", StepList)
        assert step_list.rows["connect"].state == "failed"
        await pilot.press("ctrl+n")

        def cluster_running() -> bool:
            row = step_list.rows.get("cluster")
            return row is not None and row.state == "running"

        await wait_for(pilot, cluster_running, description="the cluster step running")
        assert step_list.rows["connect"].state == "pending"
        screen.action_cancel_run()
        await wait_for(pilot, lambda: not app.run_in_progress(), description="the stop")


async def test_install_shows_no_preflight_of_a_cluster_it_moved_away_from(store):
    """A new cluster sends preflight back to pending; its saved checks (the old
    cluster's "✗ default-storageclass") were still shown on Install."""
    from kfwizard.widgets.checklist import CheckList

    checks = {
        "preflight": {
            "checks": [
                {"name": "default-storageclass", "state": "fail", "message": "none is default"}
            ]
        }
    }
    for state, shown in (("failed", True), ("pending", False)):
        save_session(
            store,
            f"s-pre-{state}",
            phase_steps={**READY_FOR_INSTALL, "preflight": state},
            outputs=checks,
        )
        app = PlanApp({}, store=store, session_id=f"s-pre-{state}")
        async with app.run_test(size=SIZE) as pilot:
            screen = await wait_for_screen(pilot, InstallScreen)
            assert screen.query_one("#checks", CheckList).display is shown, state


class SecretStep(ChattyStep):
    """Asks for kfp-gcp's Cloud SQL password as the apply step does (``collect``)."""

    def __init__(self) -> None:
        super().__init__("apply", "Apply the manifests")

    def apply(self, ctx: StepContext) -> None:
        from kfwizard.manifests.secret_inputs import SecretInput, collect

        item = SecretInput(
            "kubeflow", "mysql-secret", "password", "Cloud SQL password for user root"
        )
        [value] = collect([item], {}, ctx.options.get("ask_secret"), ctx.check_cancel)
        ctx.outputs["given"] = value == "typed-Pa55"


async def test_the_cloudsql_password_is_asked_in_a_dialog_when_the_apply_needs_it(store):
    """Typed into a password field (not shown), handed to the step, never saved; a
    cancel fails the step naming the variable that can hold it instead."""
    from textual.widgets import Input

    from kfwizard.dialogs.secret import SecretDialog

    save_session(store, "s-sql", phase_steps=READY_FOR_INSTALL)
    app = PlanApp({"install": [SecretStep()]}, store=store, session_id="s-sql")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, SecretDialog), description="asked")
        assert app.screen.query_one("#secret-value", Input).password
        await pilot.press("escape")
        panel = await wait_for_panel(pilot, screen)
        assert "KFWIZARD_CLOUDSQL_PASSWORD" in str(panel.query_one("#failure-action").render())
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, SecretDialog), description="again")
        await pilot.press(*"typed-Pa55", "enter")
        await wait_for(
            pilot,
            lambda: screen.last_result is not None and not screen.running,
            description="the run",
        )
        assert screen.last_result.state == "done", screen.last_result
    saved = store.path_for("s-sql").read_text()
    assert '"given": true' in saved and "typed-Pa55" not in saved


async def test_quitting_while_the_password_is_asked_is_a_stop_not_a_failure(store):
    """Ctrl+Q with the password dialog open: the run stops (exit 130, the step
    interrupted and resumable); it used to fail the step as "password needed"."""
    from kfwizard.dialogs.secret import SecretDialog

    save_session(store, "s-sql-quit", phase_steps=READY_FOR_INSTALL)
    app = PlanApp({"install": [SecretStep()]}, store=store, session_id="s-sql-quit")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, InstallScreen)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, SecretDialog), description="asked")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), description="quit?")
        await pilot.click("#yes")
        await wait_for(pilot, lambda: app._exit, timeout=20, description="exit")
    assert app.return_value == 130
    assert store.load("s-sql-quit").steps["apply"].state == "interrupted"
