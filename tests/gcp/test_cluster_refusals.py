"""What the cluster step says and records when GKE refuses or fails a create, against
the emulated GKE: the advice, the words that name the screen's choices, and what
pressing on will do next."""

from __future__ import annotations

from kfwizard.emulator.faults import Faults
from kfwizard.engine.plan import build_plan
from kfwizard.engine.steps.cluster import CREATE, ClusterStep, next_action
from tests.gcp.test_cluster_emulated import clusters_of, full_plan

from .conftest import PROJECT, selections


def test_a_create_request_gke_refuses_is_a_new_create_not_one_to_resume(
    make_stack, harness_for
) -> None:
    """A quota refusal answers the create request itself: no operation runs, so the
    Cluster screen must offer Create again, not "Resume create"."""
    stack = make_stack(speed=0.0, faults=Faults.named("cpu-quota"))
    harness = harness_for(stack)
    run = harness.run(full_plan())
    assert run.result.state == "failed" and run.result.failed_step == "cluster"
    assert "CPU quota" in run.result.cause
    assert not run.session.outputs["cluster"].get("operation")
    assert next_action(run.session) == CREATE
    assert clusters_of(stack) == []


def test_stockout_advice_leaves_out_every_zone_that_ran_out(make_stack, harness_for) -> None:
    """After a stockout in us-central1-a, then one in us-central1-b, the advice names
    only the region's zones not tried yet."""
    stack = make_stack(speed=0.0, faults=Faults.named("zone-stockout"))
    harness = harness_for(stack)
    first = harness.run(full_plan())
    assert "another zone in the region (us-central1-b, us-central1-c, us-central1-f)" in (
        first.result.action
    )
    session = first.session
    session.selections["cluster"]["location"] = "us-central1-b"
    harness.store.save(session)
    second = harness.run(full_plan(), session)
    assert second.result.state == "failed", second.result
    assert "in us-central1-b right now" in second.result.cause
    assert "another zone in the region (us-central1-c, us-central1-f)" in second.result.action
    assert next_action(second.session) == CREATE


def test_a_name_taken_by_another_cluster_names_the_screens_choice(make_stack, harness_for) -> None:
    """The advice uses the radio button's label, not a paraphrase of it."""
    stack = make_stack(speed=0.0, clusters=["kubeflow-testing"], project=PROJECT)
    harness = harness_for(stack)
    run = harness.run(full_plan())
    assert run.result.state == "failed" and run.result.failed_step == "cluster"
    assert "choose Existing GKE (cluster.source: existing)" in run.result.action


def test_the_cluster_steps_title_fits_its_source() -> None:
    """A kubeconfig context may not be GKE: the step list must not say "GKE cluster"."""

    def title(source: str) -> str:
        [step] = [s for s in build_plan(selections(source=source), "cluster") if s.id == "cluster"]
        return step.title

    assert title("kubeconfig") == "kubeconfig context"
    assert title("create") == title("existing") == "GKE cluster"
    assert ClusterStep().title == "GKE cluster"
