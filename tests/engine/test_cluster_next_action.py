"""What the cluster step will do, read from the session alone, and the commands shown
for it: a create only when the step creates (not for a create already running, nor
for the cluster this session made)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kfwizard.engine.steps.cluster import (
    ADOPT,
    CONTEXT,
    CREATE,
    FOLLOW,
    REUSE,
    ClusterStep,
    next_action,
)
from kfwizard.session import Session

SELECTIONS: dict[str, Any] = {
    "project": "kfwizard-demo",
    "cluster": {
        "source": "create",
        "name": "kubeflow-testing",
        "location": "us-central1-a",
        "machine_type": "n1-standard-2",
        "nodes": 3,
        "scopes": ["gke-default"],
    },
}
OPERATION = "projects/kfwizard-demo/locations/us-central1-a/operations/operation-17-ab"
OURS = {
    "project": "kfwizard-demo",
    "location": "us-central1-a",
    "name": "kubeflow-testing",
    "created_by_session": True,
}


def session(
    outputs: dict[str, Any] | None = None,
    inventory: dict[str, Any] | None = None,
    **cluster: Any,
) -> Session:
    data = copy.deepcopy(SELECTIONS)
    data["cluster"].update(cluster)
    made = Session.new("next-action", data)
    made.outputs["cluster"] = dict(outputs or {})
    made.inventory.update(copy.deepcopy(inventory or {}))
    return made


STOPPED_MID_CREATE = {
    "name": "kubeflow-testing",
    "location": "us-central1-a",
    "create_requested": True,
    "operation": OPERATION,
    "created_by_session": True,
}
"""The cluster outputs a run stopped while GKE created the cluster leaves."""
CREATED = {**STOPPED_MID_CREATE, "status": "RUNNING", "endpoint": "127.0.0.1:1"}
"""...and once the step saw the cluster RUNNING (``create_requested`` is gone then)."""
del CREATED["create_requested"]


@pytest.mark.parametrize(
    ("made", "action"),
    [
        (session(), CREATE),
        (session(source="existing"), ADOPT),
        (session(source="kubeconfig", context="kind-kind"), CONTEXT),
        (session(STOPPED_MID_CREATE, {"cluster": OURS}), FOLLOW),
        # killed between saving the intent and recording the operation: still followed
        (session({**STOPPED_MID_CREATE, "operation": None}, {"cluster": OURS}), FOLLOW),
        (session(CREATED, {"cluster": OURS}), REUSE),
        # another name (or place) is a new cluster, whatever the session made before
        (session(CREATED, {"cluster": OURS}, name="kubeflow-two"), CREATE),
        (session(STOPPED_MID_CREATE, {"cluster": OURS}, location="us-east1-b"), CREATE),
        # a cluster left behind for another, then chosen again: the session's own
        (
            session(
                {**CREATED, "name": "kubeflow-two"},
                {"cluster": {**OURS, "name": "kubeflow-two"}, "earlier_clusters": [OURS]},
            ),
            REUSE,
        ),
        # a teardown deleted it: pressing on creates it anew
        (session(CREATED, {"cluster": {**OURS, "deleted": True}}), CREATE),
    ],
)
def test_the_session_says_what_the_cluster_step_will_do(made: Session, action: str) -> None:
    assert next_action(made) == action


def test_the_commands_are_the_create_only_when_the_step_creates() -> None:
    step = ClusterStep()
    [create] = step.commands(session())
    assert create.startswith("gcloud container clusters create kubeflow-testing ")

    assert step.commands(session(STOPPED_MID_CREATE, {"cluster": OURS})) == [
        "gcloud container operations wait operation-17-ab --project=kfwizard-demo "
        "--zone=us-central1-a"
    ]
    describe = [
        "gcloud container clusters describe kubeflow-testing --project=kfwizard-demo "
        "--zone=us-central1-a"
    ]
    assert step.commands(session({**STOPPED_MID_CREATE, "operation": None})) == describe
    assert step.commands(session(CREATED, {"cluster": OURS})) == describe
    assert step.commands(session(CREATED, {"cluster": OURS}, source="existing")) == describe
