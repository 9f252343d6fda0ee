"""Ctrl+Q while GKE creates the cluster: stopping kfwizard does not stop the create, so
the quit question and the terminal afterwards name the cluster, say it goes on (and is
billed), and how to get rid of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Button

from kfwizard.app import WizardApp
from kfwizard.dialogs.confirm import ConfirmDialog
from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.project import ProjectScreen
from tests.ui.helpers import (
    READY_FOR_INSTALL,
    PlanApp,
    WaitingStep,
    save_session,
    stack_env,
    wait_for,
    wait_for_screen,
)
from tests.ui.test_runs import install_workers, quit_during_the_run

SIZE = (80, 24)


@pytest.fixture
def slow_stack() -> Iterator[Any]:
    """The emulators, with a cluster create that takes a few seconds."""
    from kfwizard.emulator.stack import EmulatorStack

    with EmulatorStack(project="kfwizard-ui-test", speed=0.5) as running:
        yield running


def flat(text: str) -> str:
    return " ".join(text.split())


async def test_quit_during_a_cluster_create_says_gke_goes_on_and_how_to_delete_it(
    slow_stack, store, tmp_path, capsys
):
    app = WizardApp(env=stack_env(slow_stack, tmp_path), store=store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ProjectScreen)
        app.goto("cluster")
        await wait_for_screen(pilot, ClusterScreen)
        session = app.session
        assert session is not None
        await pilot.press("ctrl+n")  # Create cluster
        await wait_for(
            pilot,
            lambda: (session.outputs.get("cluster") or {}).get("operation"),
            timeout=30,
            description="GKE accepted the create",
        )
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), description="asks")
        dialog = app.screen
        body = flat(str(dialog.query_one("#confirm-body").render()))
        assert "GKE goes on creating kubeflow-testing: a create cannot be stopped halfway" in body
        assert f"kfwizard teardown --session {session.id} --delete-cluster" in body
        assert "It is billed from now until it is deleted." in body
        yes = dialog.query_one("#yes", Button)
        assert yes.region.area and app.screen.region.contains_region(yes.region)
        await pilot.click("#yes")
        await wait_for(pilot, lambda: app._exit, timeout=30, description="exit")
    assert app.return_value == 130
    said = flat(capsys.readouterr().err)
    assert "kfwizard: GKE goes on creating kubeflow-testing" in said, said
    assert f"kfwizard teardown --session {session.id} --delete-cluster" in said
    assert store.load(session.id).steps["cluster"].state == "interrupted"


async def test_quit_during_another_step_says_nothing_of_a_cluster(store, capsys):
    """Only an accepted create is spoken of: a plain stop prints nothing."""
    save_session(store, "s-quit-plain", phase_steps=READY_FOR_INSTALL)
    plans = {"install": [WaitingStep("preflight", "Preflight")]}
    app = PlanApp(plans, store=store, session_id="s-quit-plain")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await quit_during_the_run(pilot)
        assert "GKE" not in str(dialog.query_one("#confirm-body").render())
        await pilot.click("#yes")
        await app.workers.wait_for_complete(install_workers(app))
        await wait_for(pilot, lambda: app._exit, timeout=10, description="exit")
    assert app.return_value == 130
    assert "kfwizard:" not in capsys.readouterr().err
