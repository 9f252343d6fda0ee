"""Help, command palette, first-run notice, theme, clipboard and the teardown guard."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.widgets import Button, Checkbox, Input, OptionList, Static

from kfwizard import paths
from kfwizard.app import WizardApp
from kfwizard.dialogs.confirm import ConfirmDialog
from kfwizard.dialogs.help import HelpDialog
from kfwizard.dialogs.teardown import TeardownDialog
from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.project import ProjectScreen
from kfwizard.screens.verify import VerifyScreen
from kfwizard.widgets.notice import Notice
from tests.ui.helpers import (
    ChattyStep,
    PlanApp,
    WaitingStep,
    save_session,
    wait_for,
    wait_for_screen,
)
from tests.ui.scenes import DONE_UNTIL_INSTALL, OUTPUTS

SIZE = (100, 32)


async def test_f1_explains_the_screen_and_its_keys(store):
    save_session(store, "s-help", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({}, store=store, session_id="s-help")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ClusterScreen)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpDialog), description="help")
        dialog = app.screen
        assert dialog.help_title == "Step 2 of 5 · Cluster"
        assert "What happens here" in dialog.text and "Sessions." in dialog.text
        assert ("ctrl+n", "run this step, or go to the next one when it is done") in dialog.keys
        await pilot.press("escape")
        await wait_for_screen(pilot, ClusterScreen)


async def test_palette_offers_the_wizard_actions(store):
    save_session(store, "s-pal")
    app = PlanApp({}, store=store, session_id="s-pal")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ProjectScreen)
        titles = [c.title for c in app.get_system_commands(screen)]
        for wanted in (
            "Next",
            "Back",
            "Resume session",
            "Teardown",
            "Save log",
            "Toggle theme",
            "Open sessions",
            "Copy commands",
        ):
            assert wanted in titles


@asynccontextmanager
async def project_step_running(store: Any) -> AsyncIterator[tuple[Any, Any, ProjectScreen]]:
    """The Project step of session s-busy with a step running (it waits until
    cancelled); the run is cancelled, and its stop awaited, on the way out."""
    save_session(store, "s-busy")
    plans = {"project": [WaitingStep("credentials", "Google credentials")]}
    app = PlanApp(plans, store=store, session_id="s-busy")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ProjectScreen)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.running, description="the run")
        yield app, pilot, screen
        screen.action_cancel_run()
        await wait_for(pilot, lambda: not app.run_in_progress(), description="the stop")


async def test_palette_commands_that_leave_the_screen_wait_for_the_run(store):
    """ "Open sessions" and "Resume session" from the palette, chosen while a step
    runs: the screen and its run stay, the session stays locked, and a notice says
    why, as the step indicator's links and Back do."""
    async with project_step_running(store) as (app, pilot, screen):
        for title in ("Open sessions", "Resume session"):
            await pilot.press("ctrl+p")
            await wait_for(
                pilot, lambda: isinstance(app.screen, CommandPalette), description="palette"
            )
            await pilot.press(*title)

            def listed_first(wanted: str = title) -> bool:
                options = app.screen.query_one(OptionList)
                return wanted in str(options.get_option_at_index(0).prompt)

            await wait_for(pilot, listed_first, description=f"{title!r} listed first")
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is screen, description="back on Project")
            await pilot.pause(0.1)
            assert app.screen is screen and screen.running, title
            assert app.session is not None and app.session.id == "s-busy"
        messages = [n.message for n in app._notifications]
        assert sum("A step is running" in m for m in messages) == 2, messages


async def test_first_run_notice_is_dismissed_for_good(store):
    save_session(store, "s-intro")
    app = PlanApp({}, store=store, session_id="s-intro")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ProjectScreen)
        notice = screen.query_one("#first-run", Notice)
        assert "session" in str(notice.query_one("Static").render())
        notice.query_one(Button).press()
        await wait_for(pilot, lambda: not screen.query("#first-run"), description="gone")
    prefs = json.loads((paths.config_dir() / "ui.json").read_text())
    assert prefs["intro_seen"] is True
    again = PlanApp({}, store=store, session_id="s-intro")
    async with again.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ProjectScreen)
        assert not screen.query("#first-run")


async def test_every_refusal_while_a_step_runs_says_the_same_words(store):
    """Next, Back and a teardown, tried while a step runs, are refused in one sentence
    naming the key that cancels (they used to say it three ways, one without the key)."""
    async with project_step_running(store) as (app, pilot, screen):
        screen.action_next()
        screen.action_back()
        app.action_teardown()
        await pilot.pause(0.05)
        assert app.screen is screen and screen.running
        messages = [n.message for n in app._notifications]
        assert messages == ["A step is running. ctrl+x cancels it first."] * 3, messages


async def test_theme_toggle_is_remembered(store, monkeypatch):
    monkeypatch.delenv("KFWIZARD_UI_DETERMINISTIC")
    save_session(store, "s-theme")
    app = PlanApp({}, store=store, session_id="s-theme")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ProjectScreen)
        assert app.theme == "textual-dark"
        app.action_toggle_theme()
        assert app.theme == "textual-light"
    assert PlanApp({}, store=store, session_id="s-theme").theme == "textual-light"


async def test_log_wrapping_is_switched_in_the_log_and_remembered(store):
    """``w`` in the log (or the palette) shows long lines whole; the next screen, and
    the next start, open their log the same way."""
    from kfwizard.widgets.log_pane import LogPane

    save_session(store, "s-wrap", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({}, store=store, session_id="s-wrap")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ClusterScreen)
        log = screen.query_one("#log", LogPane)
        assert log.wrap, "long lines wrap unless the user says otherwise"
        log.focus()
        await pilot.press("w")
        assert not log.wrap
        await wait_for(pilot, lambda: app.prefs.get("log_wrap") is False, description="saved")
        await pilot.press("escape")
        back = await wait_for_screen(pilot, ProjectScreen)
        assert not back.query_one("#log", LogPane).wrap
        titles = [c.title for c in app.get_system_commands(back)]
        assert "Wrap log lines" in titles
        back.action_toggle_log_wrap()
        await wait_for(pilot, lambda: app.prefs.get("log_wrap") is True, description="saved")
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpDialog), description="help")
        assert any("wrap long lines" in text for _, text in app.screen.keys)
    prefs = json.loads((paths.config_dir() / "ui.json").read_text())
    assert prefs["log_wrap"] is True


async def test_copy_commands_puts_them_on_the_clipboard(store):
    save_session(store, "s-copy", selections={"project": "my-proj-1"})
    app = WizardApp(store=store, session_id="s-copy")  # the real plan lists the commands
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ProjectScreen)
        await pilot.press("ctrl+y")
        assert "gcloud config set project my-proj-1" in app.clipboard


async def open_teardown_dialog(pilot, session, results: list) -> TeardownDialog:
    """Push the teardown dialog over the Project step; its answer goes to ``results``."""
    app = pilot.app
    await wait_for_screen(pilot, ProjectScreen)
    app.push_screen(TeardownDialog(session), results.append)
    await wait_for(pilot, lambda: isinstance(app.screen, TeardownDialog), description="dialog")
    dialog = app.screen
    await wait_for(pilot, lambda: dialog.query("#yes"), description="composed")
    await pilot.pause()
    return dialog


async def test_teardown_of_a_cluster_not_created_by_the_session_needs_its_name(store):
    session = save_session(store, "s-td")
    session.inventory["cluster"] = {
        "project": "p",
        "location": "us-central1-a",
        "name": "shared-prod",
        "created_by_session": False,
    }
    results = []
    app = PlanApp({}, store=store, session_id="s-td")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_teardown_dialog(pilot, session, results)
        assert not dialog.query_one("#delete-cluster").value, "off unless the session made it"
        dialog.query_one("#delete-cluster").value = True
        await pilot.pause()
        yes = dialog.query_one("#yes", Button)
        assert yes.disabled, "deleting someone else's cluster needs its name typed"
        dialog.query_one("#teardown-typed", Input).value = "shared-pro"
        await pilot.pause()
        assert yes.disabled
        dialog.query_one("#teardown-typed", Input).value = "shared-prod"
        await pilot.pause()
        assert not yes.disabled
        yes.press()
        await wait_for(pilot, lambda: results, description="dismissed")
    assert results == [{"delete_cluster": True, "confirm_name": "shared-prod"}]


@pytest.mark.parametrize("current", ["deleted", "adopted"])
async def test_the_sessions_own_earlier_cluster_goes_without_typing_a_name(store, current):
    """An earlier cluster of the session's own, with the current one deleted already
    (Delete crashed: it read a name field that was not there) or adopted (its name was
    due before the session's own could go; unnamed, the adopted one is kept)."""
    session = save_session(store, "s-mixed")
    session.inventory["cluster"] = {
        "project": "p",
        "location": "us-central1-a",
        "name": "theirs" if current == "adopted" else "gone",
        "created_by_session": current == "deleted",
        **({"deleted": True} if current == "deleted" else {}),
    }
    session.inventory["earlier_clusters"] = [
        {"project": "p", "location": "us-central1-a", "name": "mine", "created_by_session": True}
    ]
    results: list = []
    app = PlanApp({}, store=store, session_id="s-mixed")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_teardown_dialog(pilot, session, results)
        box = dialog.query_one("#delete-cluster", Checkbox)
        box.value = True
        await pilot.pause()
        yes = dialog.query_one("#yes", Button)
        assert not yes.disabled
        yes.press()
        await wait_for(pilot, lambda: results, description="dismissed")
    assert results == [{"delete_cluster": True, "confirm_name": None}]


async def test_teardown_offers_the_clusters_the_session_created_and_left(store):
    """A session that created one cluster, then another: both are billed, so the dialog
    names both, and its cluster box (on: the session made them) covers both."""
    session = save_session(store, "s-two")
    session.inventory["cluster"] = {
        "project": "p",
        "location": "us-central1-a",
        "name": "kubeflow-two",
        "created_by_session": True,
    }
    session.inventory["earlier_clusters"] = [
        {"project": "p", "location": "europe-west1", "name": "kubeflow-one"}
    ]
    results = []
    app = PlanApp({}, store=store, session_id="s-two")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_teardown_dialog(pilot, session, results)
        box = dialog.query_one("#delete-cluster", Checkbox)
        assert box.value and str(box.label) == "Also delete clusters kubeflow-two, kubeflow-one"
        texts = [str(s.render()) for s in dialog.query(".teardown-text")]
        assert (
            "GKE cluster kubeflow-one in europe-west1 (created by this session, which then "
            "chose another; still billed)" in texts
        )
        assert not dialog.query("#teardown-typed")
        dialog.query_one("#yes", Button).press()
        await wait_for(pilot, lambda: results, description="dismissed")
    assert results == [{"delete_cluster": True, "confirm_name": None}]


def namespace_and_claims(*claims: str) -> list[dict[str, str]]:
    """Inventory references: namespace kubeflow and these PVCs in it."""
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": "kubeflow"}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "name": "kubeflow"},
        *({**pvc, "name": name} for name in claims),
    ]


def test_teardown_preview_warns_that_volume_data_is_lost():
    """Before anything is deleted the dialog names the session's PVCs: their data (the
    MySQL database, the artifact store) goes with them."""
    from kfwizard.dialogs.teardown import preview_lines
    from kfwizard.session import Session

    session = Session.new(name="td")
    session.inventory["objects"] = namespace_and_claims("mysql-pv-claim", "seaweedfs-pvc")
    lines = preview_lines(session)
    assert lines[0] == (
        "3 Kubernetes objects applied by this session (cluster-wide and in namespace kubeflow)"
    )
    assert lines[1] == (
        "The data in 2 volumes (kubeflow/mysql-pv-claim, kubeflow/seaweedfs-pvc) is lost for "
        "good: pipeline runs, artifacts and metadata."
    )
    session.inventory["objects"] = session.inventory["objects"][:1]
    assert not any("volume" in line for line in preview_lines(session))
    assert preview_lines(session)[0].endswith("(cluster-wide)")


def test_a_second_teardown_offers_only_what_is_left():
    """Torn down already: the objects are not listed as if still there (nor their data
    "lost for good"); a kept cluster is still offered; once it is deleted too, there is
    nothing left to offer."""
    from kfwizard.dialogs.teardown import nothing_left, preview_lines
    from kfwizard.session import Session

    session = Session.new(name="td")
    session.inventory["objects"] = namespace_and_claims("mysql-pv-claim")
    session.inventory["cluster"] = {
        "project": "p",
        "location": "us-central1-a",
        "name": "kf-one",
        "created_by_session": True,
    }
    session.status = "removed"
    lines = preview_lines(session)
    assert lines[0] == "The 2 Kubernetes objects this session applied were deleted by its teardown."
    assert not any("lost for good" in line for line in lines)
    assert "GKE cluster kf-one in us-central1-a (created by this session)" in lines
    assert not nothing_left(session)
    session.inventory["cluster"]["deleted"] = True
    assert not any("kf-one" in line for line in preview_lines(session))
    assert nothing_left(session)


def test_teardown_preview_of_a_demo_does_not_speak_of_billing():
    from kfwizard.dialogs.teardown import preview_lines
    from kfwizard.session import Session

    session = Session.new(name="demo", demo=True)
    session.inventory["earlier_clusters"] = [
        {"project": "p", "location": "europe-west1", "name": "kubeflow-one"}
    ]
    assert preview_lines(session)[-1].endswith(
        "which then chose another; emulated, nothing billed)"
    )
    session.inventory["cluster"] = {
        "project": "p",
        "location": "us-central1-a",
        "name": "kubeflow-two",
        "created_by_session": True,
    }
    assert (
        "GKE cluster kubeflow-two in us-central1-a (created by this session; emulated, "
        "nothing billed)"
    ) in preview_lines(session), "every cluster of a demo says so, not only the earlier ones"
    session.demo = False
    assert preview_lines(session)[-1].endswith("which then chose another; still billed)")
    assert "GKE cluster kubeflow-two in us-central1-a (created by this session)" in (
        preview_lines(session)
    )


def test_install_again_says_whether_the_cluster_comes_back_and_what_it_costs():
    from kfwizard.answers import defaults
    from kfwizard.screens.verify import reinstall_text

    selections = defaults()
    deleted = reinstall_text(selections, {"cluster": {"name": "kubeflow-testing", "deleted": True}})
    assert deleted.startswith(
        "Every step runs again: GKE cluster kubeflow-testing in us-central1-a is created again "
        "(3 x n1-standard-2, about $0.39/hour, billed until it is deleted), then Kubeflow "
        "Pipelines 2.17.0 (kfp-standalone, platform-agnostic)"
    )
    kept = reinstall_text(selections, {"cluster": {"name": "kubeflow-testing"}})
    assert "GKE cluster kubeflow-testing in us-central1-a is used again" in kept
    assert "$" not in kept
    selections["cluster"].update(source="existing")  # adopted, then deleted by name
    gone = reinstall_text(selections, {"cluster": {"name": "kubeflow-testing", "deleted": True}})
    assert gone.startswith("GKE cluster kubeflow-testing, which this session adopted, was ")
    assert "stops at the Cluster step" in gone
    selections["cluster"].update(source="kubeconfig", context="kind-kfp")
    assert "kubeconfig context kind-kfp is used again" in reinstall_text(selections, {})
    selections["deployment"].update(mode="kubeflow", version="26.03")
    assert "then Kubeflow 26.03 (KFP 2.16.0) is installed" in reinstall_text(selections, {})


async def test_a_teardown_stopped_halfway_asks_before_installing_again(store):
    """A teardown stopped after deleting the objects leaves the install steps reading
    done. "Verify again" would have run the plan and quietly installed it all again
    (and, in the demo, created the deleted cluster): the button asks first, as after
    a finished teardown, and the screen says the teardown is not finished."""
    done = {**DONE_UNTIL_INSTALL, "preflight": "done", "apply": "done", "rollout": "done"}
    session = save_session(
        store, "s-half", phase_steps={**done, "verify": "done"}, outputs=OUTPUTS, status="done"
    )
    session.record("uninstall", "done")
    session.record("wait-namespaces", "interrupted", cause="Stopped at your request.")
    session.status = "interrupted"
    store.save(session)
    plans = {"verify": [ChattyStep("verify", "Verify the install", 5, 5)]}
    app = PlanApp(plans, store=store, session_id="s-half")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, VerifyScreen)
        assert screen.query_one("#next", Button).label.plain == "Install again…"
        status = str(screen.query_one("#nav-status", Static).render())
        assert status == "Teardown not finished: t finishes it"
        assert not screen.query_one("#summary").display
        assert not screen.query_one("#port-forward", Button).display
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), description="ask")
        body = str(app.screen.query_one("#confirm-body", Static).render())
        assert body.startswith("The teardown did not finish; t finishes it instead.")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, description="question closed")
        await pilot.pause(0.1)
        assert screen.last_result is None and not screen.running


async def test_the_palette_teardown_asks_over_the_current_step_and_moves_only_on_yes(store):
    """Teardown from the palette on an early step: with nothing created it says so and
    stays; with a cluster created it opens the dialog over the step, a cancel leaves
    the user there (it used to leave them on Verify, whose Next ran the whole plan
    past the Cluster and Mode screens), and only a yes moves to Verify for the run."""
    save_session(store, "s-early")
    app = PlanApp({}, store=store, session_id="s-early")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ProjectScreen)
        app.action_teardown()
        await pilot.pause()
        assert app.screen is screen
        notes = [n.message for n in app._notifications]
        assert notes == ["This session has not created anything yet: no objects, no cluster."]

    session = save_session(
        store,
        "s-cluster",
        phase_steps={"credentials": "done", "services": "done"},
    )
    session.inventory["cluster"] = {
        "project": "my-proj-1",
        "location": "us-central1-a",
        "name": "kf-one",
        "created_by_session": True,
    }
    store.save(session)
    app = PlanApp({}, store=store, session_id="s-cluster")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ClusterScreen)
        cluster_screen = app.screen
        app.action_teardown()
        await wait_for(pilot, lambda: isinstance(app.screen, TeardownDialog), description="asked")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is cluster_screen, description="cancelled")
        await pilot.pause(0.1)
        assert app.screen is cluster_screen, "a cancel leaves the user where they were"
        app.action_teardown()
        await wait_for(pilot, lambda: isinstance(app.screen, TeardownDialog), description="again")
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#delete-cluster", Checkbox).value = False  # nothing reaches GKE
        await pilot.pause()
        dialog.query_one("#yes", Button).press()
        await wait_for_screen(pilot, VerifyScreen)
        await wait_for(pilot, lambda: app._notifications, description="the teardown's word")
        notes = [n.message for n in app._notifications]
        assert notes[-1] == "This session recorded nothing to remove.", notes


async def test_f1_in_the_demo_says_how_to_run_the_shown_commands_against_it(store):
    """The screens' commands (a kubectl fix, say) need the emulators' addresses, which
    only the running demo knows: F1 names the file that sets them."""
    save_session(store, "s-demo")
    app = PlanApp({}, store=store, session_id="s-demo", demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ProjectScreen)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpDialog), description="help")
        text = app.screen.text
        assert "Demo mode." in text
        assert "demo-emulator/env.sh` in another terminal first" in text, text


async def test_esc_with_the_keys_panel_open_closes_the_panel_and_stays_on_the_step(store):
    save_session(store, "s-keys", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({}, store=store, session_id="s-keys")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ClusterScreen)
        app.action_show_help_panel()
        await wait_for(pilot, lambda: bool(screen.query("HelpPanel")), description="panel")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.query("HelpPanel"), description="closed")
        await pilot.pause(0.1)
        assert app.screen is screen, "Esc closed the panel only"
        await pilot.press("escape")
        await wait_for_screen(pilot, ProjectScreen)


def test_the_preview_after_a_stopped_teardown_does_not_promise_what_is_gone():
    from kfwizard.dialogs.teardown import preview_lines
    from kfwizard.session import Session

    session = Session.new(name="half")
    session.inventory["objects"] = namespace_and_claims("mysql-pv-claim")
    session.record("apply", "done")
    session.record("uninstall", "interrupted", cause="Stopped at your request.")
    lines = preview_lines(session)
    assert lines[0].endswith(
        "(cluster-wide and in namespace kubeflow); the stopped teardown deleted some already"
    )
    assert lines[1].endswith("(if the stopped teardown has not deleted it already).")
