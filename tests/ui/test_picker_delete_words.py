"""The picker's "Delete session?" for a session whose clusters and install are still
there names them, says deleting the record deletes none of it, and gives the teardown
that would (it said only "created resources that still exist as far as it knows")."""

from __future__ import annotations

from typing import Any

from kfwizard.dialogs.confirm import ConfirmDialog
from kfwizard.screens.sessions import SessionsScreen, still_there
from kfwizard.session import Session
from tests.ui.helpers import PlanApp, save_session, wait_for, wait_for_screen

SIZE = (80, 24)
WHERE = {"project": "my-proj-1", "location": "us-central1-a"}
OBJECTS = [
    {"apiVersion": "v1", "kind": "Namespace", "name": "kubeflow"},
    {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "kubeflow", "name": "pipeline"},
]


def flat(text: str) -> str:
    return " ".join(text.split())


async def test_deleting_a_session_with_its_clusters_left_names_them_and_the_teardown(store):
    inventory: dict[str, Any] = {
        "cluster": {**WHERE, "name": "kf-two", "created_by_session": True},
        "earlier_clusters": [{**WHERE, "name": "kubeflow-testing"}],
        "objects": OBJECTS,
    }
    save_session(store, "20261128-1000-aaaa", name="billed", inventory=inventory)
    app = PlanApp({}, store=store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), description="asks")
        body = flat(str(app.screen.query_one("#confirm-body").render()))
        assert (
            "Clusters kf-two in us-central1-a and kubeflow-testing in us-central1-a, created "
            "by this session, are still there (billed until they are deleted)."
        ) in body
        assert "Its Kubeflow install (2 Kubernetes objects) is on cluster kf-two." in body
        assert "Deleting the session does not delete any of it" in body
        assert "kfwizard teardown --session 20261128-1000-aaaa --delete-cluster" in body
        await pilot.press("escape")
    assert store.exists("20261128-1000-aaaa")


def test_an_install_on_a_cluster_it_did_not_create_needs_no_delete_cluster():
    session = Session(
        id="S", inventory={"cluster": {**WHERE, "name": "shared"}, "objects": OBJECTS}
    )
    said = still_there(session)
    assert said.startswith("Its Kubeflow install (2 Kubernetes objects) is on cluster shared.")
    assert said.endswith(
        "To delete it first: kfwizard teardown --session S (or resume the session and press t "
        "on the Verify step)."
    )


def test_a_demo_cluster_is_not_called_billed_and_a_torn_down_session_has_nothing_left():
    own = {"cluster": {**WHERE, "name": "kf", "created_by_session": True}, "objects": OBJECTS}
    demo = Session(id="D", demo=True, inventory=own)
    assert still_there(demo).startswith(
        "Cluster kf in us-central1-a, created by this session, is still there (emulated in "
        "the demo: nothing is billed)."
    )
    gone = {"cluster": {**own["cluster"], "deleted": True}, "objects": OBJECTS}
    assert still_there(Session(id="R", status="removed", inventory=gone)) == ""
    assert still_there(Session(id="N")) == ""
