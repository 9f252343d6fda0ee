"""A create GKE refused outright leaves no claim on the cluster's name.

The cluster step notes ``create_requested`` before it sends a create, so that a run
stopped after sending it still knows the cluster is its own. A create GKE refused
outright (a quota, a permission, a bad argument: no operation) kept the note, and a
cluster someone else created later under that name was then taken for the session's
own: used, listed, and deleted by ``teardown --delete-cluster``. The note now goes
with a refusal, but stays when an earlier try of the same create may have got through
(its answer lost): that cluster is the session's. The other party creates its cluster
through GKE's API with the official client, against the GKE emulator.
"""

from __future__ import annotations

from typing import Any

import pytest

from kfwizard.emulator.faults import Faults
from kfwizard.engine.steps.teardown import DeleteClusterStep
from kfwizard.gcp import clusters

from .conftest import PROJECT
from .test_cluster_emulated import clusters_of, create_ops, full_plan

NAME, LOCATION = "kubeflow-testing", "us-central1-a"


@pytest.fixture(autouse=True)
def no_gce_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_GCE_CHECK", "true")


def someone_else_creates_it(stack: Any) -> None:
    """A colleague creates a cluster of the same name, with the official client."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import container_v1

    client = container_v1.ClusterManagerClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": stack.gke_url},
    )
    client.create_cluster(
        request={
            "parent": f"projects/{PROJECT}/locations/{LOCATION}",
            "cluster": {"name": NAME, "initial_node_count": 1},
        }
    )


def is_kept_by_the_teardown(harness: Any, session: Any, stack: Any) -> bool:
    """``teardown --delete-cluster`` without ``--confirm-name``: is the cluster there after?"""
    torn = harness.run([DeleteClusterStep()], session)
    assert torn.result.state == "done", torn.result
    return [c.name for c in clusters_of(stack)] == [NAME]


@pytest.mark.parametrize(
    ("faults", "cause"),
    [
        (Faults.named("cpu-quota"), "The project's CPU quota in us-central1 is too small"),
        (Faults(create_answers=(400,)), "Request contains an invalid argument."),
    ],
    ids=["403-quota", "400-invalid-argument"],
)
def test_a_cluster_created_by_someone_else_after_a_refused_create_is_not_the_sessions(
    make_stack: Any, harness_for: Any, faults: Faults, cause: str
) -> None:
    stack = make_stack(speed=0.0, faults=faults)
    harness = harness_for(stack)
    refused = harness.run(full_plan())
    assert refused.result.state == "failed" and refused.result.failed_step == "cluster"
    assert cause in refused.result.cause
    assert "create_requested" not in refused.session.outputs["cluster"]
    assert clusters_of(stack) == [] and create_ops(stack) == []

    stack.faults.clear()
    someone_else_creates_it(stack)
    resumed = harness.run(full_plan(), refused.session)
    assert resumed.result.state == "failed", "their cluster was taken for the session's"
    assert resumed.result.cause == (
        f"A cluster named {NAME} already exists in {PROJECT} at {LOCATION}, and this "
        "session did not create it."
    )
    assert "cluster" not in resumed.session.inventory
    assert is_kept_by_the_teardown(harness, resumed.session, stack)


def test_a_name_taken_while_the_create_question_was_open_is_not_the_sessions(
    make_stack: Any, harness_for: Any
) -> None:
    """The name was free when the step looked; while the user read "Create ...?",
    someone created a cluster of that name. GKE's 409 to the session's first (and only)
    try means theirs, not "a retried request of ours created it"."""
    stack = make_stack(speed=0.0)
    harness = harness_for(stack)

    def yes_after_someone_else_created_it(question: str) -> bool:
        someone_else_creates_it(stack)
        return True

    run = harness.run(full_plan(), yes=False, confirm=yes_after_someone_else_created_it)
    assert run.result.state == "failed" and run.result.failed_step == "cluster"
    assert "session did not create it" in run.result.cause
    assert "create_requested" not in run.session.outputs["cluster"]
    assert "cluster" not in run.session.inventory
    assert len(create_ops(stack)) == 1, "theirs only"
    assert is_kept_by_the_teardown(harness, run.session, stack)


@pytest.mark.parametrize(
    "answers",
    [(503,), (503, 403)],
    ids=["then-409-already-exists", "then-403-refused"],
)
def test_a_create_whose_answer_was_lost_is_the_sessions_whatever_the_retry_hears(
    make_stack: Any, harness_for: Any, answers: tuple[int, ...]
) -> None:
    """The first try created the cluster, and its answer was lost (503). The retry hears
    409 (the name exists: ours), or is refused (403): the cluster is still the session's,
    followed or found on resume, and deleted by the teardown."""
    stack = make_stack(speed=0.0, faults=Faults(create_answers=answers))
    harness = harness_for(stack)
    run = harness.run(full_plan())
    if answers[-1] == 403:
        assert run.result.state == "failed" and run.result.failed_step == "cluster"
        assert run.session.outputs["cluster"]["create_requested"] is True
        run = harness.run(full_plan(), run.session)
        assert "exists already (created by this session)" in run.log_text()
    else:
        assert "a retried request of ours created it" in run.log_text()
    assert run.result.state == "done", run.result
    assert run.session.outputs["cluster"]["created_by_session"] is True
    assert len(create_ops(stack)) == 1
    assert not is_kept_by_the_teardown(harness, run.session, stack)
    assert clusters_of(stack) == []


def test_only_a_definite_refusal_clears_the_claim() -> None:
    from google.api_core import exceptions as gexc

    assert clusters.create_refused(gexc.BadRequest("invalid argument"))
    assert clusters.create_refused(gexc.Forbidden("permission denied"))
    assert clusters.create_refused(gexc.TooManyRequests("quota"))
    assert not clusters.create_refused(gexc.Conflict("already exists"))
    assert not clusters.create_refused(gexc.ServiceUnavailable("unavailable"))
    assert not clusters.create_refused(gexc.GatewayTimeout("timed out"))
    assert not clusters.create_refused(ConnectionResetError("dropped"))
    assert not clusters.create_refused(gexc.RetryError("deadline", None))
