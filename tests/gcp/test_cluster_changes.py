"""A size change in the answers, for a cluster that exists already.

kfwizard never resizes or replaces an existing cluster by itself (a resize is billed,
another machine type is a new node pool). So when the answers ask for another size, the
cluster step says so with the commands, instead of a silent "already done" that sends
the user back to edit the answers again; and the session keeps the cluster's real size.
"""

from __future__ import annotations

from kfwizard.emulator.faults import Faults
from kfwizard.engine.steps.cluster import ClusterStep, ConnectStep
from kfwizard.engine.steps.project import CredentialsStep, ServicesStep

from .conftest import PROJECT

WHERE = f"--zone=us-central1-a --project={PROJECT}"


def _created(make_stack, harness_for, **options):
    stack = make_stack(speed=0.0, **options)
    harness = harness_for(stack)
    first = harness.run([CredentialsStep(), ServicesStep(), ClusterStep(), ConnectStep()])
    assert first.result.state == "done", first.result
    return stack, harness, first


def test_a_new_machine_type_for_an_existing_cluster_is_said_with_the_node_pool_command(
    make_stack, harness_for
) -> None:
    stack, harness, first = _created(make_stack, harness_for)
    assert first.details("warning") == []  # the cluster is the size the answers asked for

    run = harness.choose_cluster(first.session, machine_type="n1-standard-4")

    [warning] = run.details("warning")
    assert warning.startswith(
        "Cluster kubeflow-testing exists with 3 x n1-standard-2; the answers say "
        "3 x n1-standard-4. kfwizard does not resize or replace an existing cluster"
    )
    assert (
        "gcloud container node-pools create kfp-pool --cluster=kubeflow-testing "
        f"--machine-type=n1-standard-4 --num-nodes=3 {WHERE}"
    ) in warning
    assert "choose a new cluster name to create a new cluster" in warning
    assert any(line == f"warning: {warning}" for line in run.lines("cluster"))
    # Nothing was replaced, and the session keeps the cluster's real size.
    assert len(stack.gke.clusters) == 1
    assert run.session.outputs["cluster"]["machine_type"] == "n1-standard-2"
    assert run.session.outputs["cluster"]["nodes"] == 3


def test_a_new_node_count_for_an_existing_cluster_is_said_with_the_resize_command(
    make_stack, harness_for
) -> None:
    _stack, harness, first = _created(make_stack, harness_for)

    run = harness.choose_cluster(first.session, nodes=2)

    [warning] = run.details("warning")
    assert "exists with 3 x n1-standard-2; the answers say 2 x n1-standard-2." in warning
    assert (
        "gcloud container clusters resize kubeflow-testing --node-pool=default-pool "
        f"--num-nodes=2 {WHERE}"
    ) in warning
    assert run.session.outputs["cluster"]["nodes"] == 3  # not the 2 the answers say


def test_the_session_records_a_resize_done_outside_kfwizard(make_stack, harness_for) -> None:
    """The user follows the advice with gcloud: the next run records 4 nodes, and once
    the answers say 4 too, there is nothing to warn about."""
    stack, harness, first = _created(make_stack, harness_for)
    [record] = stack.gke.clusters.values()
    record.message.node_pools[0].initial_node_count = 4
    record.message.current_node_count = 4

    run = harness.choose_cluster(first.session, nodes=4)

    assert run.session.outputs["cluster"]["nodes"] == 4
    assert run.details("warning") == []


def test_a_cluster_gke_made_smaller_than_asked_is_said_at_once(make_stack, harness_for) -> None:
    """The small-nodepool fault: GKE's cluster is 1 x e2-small whatever was asked."""
    _stack, _harness, first = _created(
        make_stack, harness_for, faults=Faults.named("small-nodepool")
    )
    [warning] = first.details("warning")
    assert "exists with 1 x e2-small; the answers say 3 x n1-standard-2." in warning
    assert first.session.outputs["cluster"]["machine_type"] == "e2-small"
    assert first.session.outputs["cluster"]["nodes"] == 1
