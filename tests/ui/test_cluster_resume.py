"""The Cluster screen says what pressing on will do, against the emulated GKE: after a
run stopped mid-create, the button resumes the create (it does not agree to a second
one) and the commands follow the running operation; once the cluster exists, the
commands read it instead of creating it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Button, Static

from kfwizard.app import WizardApp
from kfwizard.screens.cluster import ClusterScreen
from kfwizard.widgets.commands_box import CommandsBox
from tests.ui.helpers import clusters_named, goto_screen, stack_env, wait_for


@pytest.fixture
def slow_stack() -> Iterator[Any]:
    """GKE creates in about 4 s (18 nominal seconds x 0.2): time to stop a run midway."""
    from kfwizard.emulator.stack import EmulatorStack

    with EmulatorStack(project="kfwizard-ui-test", speed=0.2) as running:
        yield running


def create_ops(stack: Any) -> list[Any]:
    return [
        op
        for op in stack.gke.operations.values()
        if op.message.operation_type.name == "CREATE_CLUSTER"
    ]


async def test_a_create_stopped_midway_resumes_and_then_reads_the_cluster(
    slow_stack, store, tmp_path
):
    app = WizardApp(env=stack_env(slow_stack, tmp_path), store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await goto_screen(pilot, "cluster", ClusterScreen)
        button = screen.query_one("#next", Button)
        box = screen.query_one("#commands", CommandsBox)
        assert button.label.plain == "Create cluster"
        assert box.commands[0].startswith("gcloud container clusters create kubeflow-testing")

        def outputs() -> dict[str, Any]:
            return app.session.outputs.get("cluster") or {}

        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: bool(outputs().get("operation")), description="requested")
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: screen.last_result is not None, description="stopped")
        assert screen.last_result.state == "interrupted", screen.last_result
        operation = outputs()["operation"]

        # Pressing on follows that create: the button says so, and agrees to no other.
        await wait_for(pilot, lambda: not screen.running, description="run closed")
        assert button.label.plain == "Resume create"
        assert screen.run_is_consent() is False
        op_id = operation.rsplit("/", 1)[-1]
        await wait_for(
            pilot, lambda: box.commands[0].startswith("gcloud container operations wait"), 10
        )
        assert box.commands[0] == (
            f"gcloud container operations wait {op_id} --project=kfwizard-ui-test "
            "--zone=us-central1-a"
        )
        assert not any("clusters create" in command for command in box.commands)
        card = str(screen.query_one("#cost", Static).render())
        assert "no second cluster" in card

        await pilot.press("ctrl+n")
        await wait_for(
            pilot,
            lambda: screen.last_result is not None and screen.last_result.state != "interrupted",
            timeout=60,
            description="resumed run",
        )
        assert screen.last_result.state == "done", screen.last_result
        assert len(clusters_named(slow_stack)) == 1 and len(create_ops(slow_stack)) == 1
        assert outputs()["operation"] == operation

        # The cluster exists: the commands read it, and a changed size creates nothing.
        await wait_for(
            pilot, lambda: box.commands[0].startswith("gcloud container clusters describe"), 10
        )
        assert box.commands[0] == (
            "gcloud container clusters describe kubeflow-testing --project=kfwizard-ui-test "
            "--zone=us-central1-a"
        )
        screen.cluster["nodes"] = 4
        screen.selection_changed()
        assert button.label.plain == "Connect"
        assert screen.run_is_consent() is False
        assert "nothing new is created" in str(screen.query_one("#cost", Static).render())


async def test_the_cluster_this_session_created_is_read_not_created_again(stack, store, tmp_path):
    """Back on the Cluster step after creating the cluster, the box showed the create
    recipe again, though pressing on only reads the cluster and writes the context."""
    app = WizardApp(env=stack_env(stack, tmp_path), store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await goto_screen(pilot, "cluster", ClusterScreen)
        await pilot.press("ctrl+n")
        await wait_for(
            pilot, lambda: screen.last_result is not None, timeout=60, description="created"
        )
        assert screen.last_result.state == "done", screen.last_result
        box = screen.query_one("#commands", CommandsBox)
        expected = [
            "gcloud container clusters describe kubeflow-testing --project=kfwizard-ui-test "
            "--zone=us-central1-a",
            "gcloud container clusters get-credentials kubeflow-testing "
            "--project=kfwizard-ui-test --zone=us-central1-a",
            "kubectl version",
        ]
        # The box shows the running step's commands until the plan's are listed again.
        await wait_for(
            pilot,
            lambda: box.commands == expected,
            timeout=10,
            description="the commands of what pressing on does now",
        )
