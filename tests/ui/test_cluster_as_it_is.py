"""With a cluster that is not the size the answers ask for (the small-nodepool fault:
GKE makes one e2-small whatever was asked), against the emulated GKE: the warning
reaches the user once, however many runs say it again, and the Cluster screen's card
and nav line describe the real cluster, not the form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Static

from kfwizard.app import WizardApp
from kfwizard.engine.logfile import SessionLog
from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.mode import ModeScreen
from kfwizard.screens.project import ProjectScreen
from tests.ui.helpers import stack_env, wait_for, wait_for_screen

SAID = "Cluster kubeflow-testing exists with 1 x e2-small; the answers say 3 x n1-standard-2"


@pytest.fixture
def small_stack() -> Iterator[Any]:
    from kfwizard.emulator.faults import Faults
    from kfwizard.emulator.stack import EmulatorStack

    faults = Faults.named("small-nodepool")
    with EmulatorStack(project="kfwizard-ui-test", speed=0.0, faults=faults) as running:
        yield running


async def run_screen(pilot: Any, screen_type: type) -> Any:
    screen = await wait_for_screen(pilot, screen_type)
    await pilot.press("ctrl+n")
    await wait_for(
        pilot,
        lambda: screen.last_result is not None and not screen.running,
        timeout=60,
        description=f"{screen_type.__name__} run",
    )
    assert screen.last_result.state == "done", screen.last_result
    return screen


async def test_the_size_warning_is_a_toast_once_and_the_card_shows_the_real_cluster(
    small_stack, store, tmp_path
):
    app = WizardApp(env=stack_env(small_stack, tmp_path), store=store, demo=True)
    async with app.run_test(size=(120, 40)) as pilot:

        def toasts() -> list[str]:
            return [n.message for n in app._notifications if n.message.startswith(SAID)]

        await run_screen(pilot, ProjectScreen)
        await pilot.press("ctrl+n")
        cluster = await run_screen(pilot, ClusterScreen)
        assert len(toasts()) == 1

        card = str(cluster.query_one("#cost", Static).render())
        assert "The cluster: 1 × e2-small: 2 vCPU, 2 GiB" in card
        assert "✗ too small" in card and "✓ fits" not in card
        assert "The answers say 3 × n1-standard-2" in card
        assert "3 × n1-standard-2: 6 vCPU" not in card
        nav = str(cluster.query_one("#nav-status", Static).render())
        assert nav == "✓ Done, but 1 × e2-small is too small for kfp-standalone"

        await pilot.press("ctrl+n")
        await run_screen(pilot, ModeScreen)  # its plan runs the cluster step again
        assert len(toasts()) == 1, toasts()
        log = SessionLog(app.session.id).path.read_text()
        assert log.count(f"warning: {SAID}") == 2, "each run still logs it"
