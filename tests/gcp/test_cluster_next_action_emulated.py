"""What the session says the cluster step will do next, after real runs against the
emulated GKE: the Cluster screen's button, its consent and the commands shown all
read it, so it must match what the step then does."""

from __future__ import annotations

from kfwizard.emulator.faults import Faults
from kfwizard.engine.steps.cluster import CREATE, FOLLOW, REUSE, ClusterStep, next_action
from tests.gcp.test_cluster_emulated import _stopped_mid_create, clusters_of, create_ops, full_plan


def test_a_stopped_create_is_followed_then_reused(make_stack, harness_for) -> None:
    stack, harness, first = _stopped_mid_create(make_stack, harness_for)
    assert first.result.state == "interrupted", first.result
    assert next_action(first.session) == FOLLOW
    op_id = first.session.outputs["cluster"]["operation"].rsplit("/", 1)[-1]
    assert ClusterStep().commands(first.session) == [
        f"gcloud container operations wait {op_id} --project={stack.project} --zone=us-central1-a"
    ]

    second = harness.run(full_plan(), first.session)
    assert second.result.state == "done", second.result
    assert len(create_ops(stack)) == 1, "followed, not created again"
    assert next_action(second.session) == REUSE
    assert ClusterStep().commands(second.session) == [
        f"gcloud container clusters describe kubeflow-testing --project={stack.project} "
        "--zone=us-central1-a"
    ]


def test_a_create_that_failed_is_a_new_create(make_stack, harness_for) -> None:
    """A stockout leaves the operation recorded and no status, like a stopped create;
    but the step then deletes the failed cluster and creates again, so the button must
    say Create (and agree to it), not Resume."""
    stack = make_stack(speed=0.0, faults=Faults.named("zone-stockout"))
    harness = harness_for(stack)
    run = harness.run(full_plan())
    assert run.result.state == "failed" and run.result.failed_step == "cluster"
    assert run.session.outputs["cluster"]["operation"]
    assert next_action(run.session) == CREATE
    [command] = ClusterStep().commands(run.session)
    assert command.startswith("gcloud container clusters create kubeflow-testing ")

    stack.faults.clear()
    again = harness.run(full_plan(), run.session)
    assert again.result.state == "done", again.result
    assert "deleting it before trying again" in again.log_text()
    assert len(clusters_of(stack)) == 1 and len(create_ops(stack)) == 2
    assert next_action(again.session) == REUSE
