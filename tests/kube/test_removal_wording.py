"""What kfwizard says about removing an install: pure logic on the session, no cluster."""

from __future__ import annotations

from typing import Any

from kfwizard.dialogs.teardown import preview_lines
from kfwizard.engine.steps.install import remember_install_elsewhere
from kfwizard.kube.verify import teardown_line
from kfwizard.session import Session

KF1 = {"project": "p", "location": "us-central1-a", "name": "kf1"}
KF2 = {"project": "p", "location": "us-central1-a", "name": "kf2"}


def _moved_session(kf1_ours: bool) -> Session:
    """Installed on kf1, then on kf2: as the apply step and the cluster step leave it."""
    session = Session.new(name="t1")
    session.inventory["objects"] = [
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": "kubeflow", "name": "m"}
    ]
    apply_out: dict[str, Any] = {
        "target": "gke_p_us-central1-a_kf1",
        "applied": 41,
        "mode": "kfp-standalone",
        "version": "2.17.0",
    }
    remember_install_elsewhere(session, apply_out, "gke_p_us-central1-a_kf2")
    session.outputs["apply"] = {**apply_out, "target": "gke_p_us-central1-a_kf2"}
    session.inventory["cluster"] = {**KF2, "created_by_session": True}
    if kf1_ours:
        session.inventory["earlier_clusters"] = [{**KF1, "created_by_session": True}]
    return session


def test_remove_everything_names_delete_cluster_only_for_the_sessions_own_cluster() -> None:
    ours = {"cluster": {**KF2, "created_by_session": True}}
    assert teardown_line("S", ours) == (
        "Remove everything later, cluster kf2 included, with: "
        "kfwizard teardown --session S --delete-cluster"
    )
    adopted = {"cluster": {**KF2, "created_by_session": False}}
    assert teardown_line("S", adopted) == (
        "Remove the install later with: kfwizard teardown --session S (cluster kf2 stays: "
        "this session did not create it; add --delete-cluster --confirm-name kf2 to delete "
        "it too)"
    )
    assert teardown_line("S", {}) == (
        "Remove the install later with: kfwizard teardown --session S (the cluster stays)"
    )


def test_the_dialog_says_the_install_on_an_earlier_cluster_is_left_in_place() -> None:
    lines = preview_lines(_moved_session(kf1_ours=True))
    [left] = [line for line in lines if line.startswith("Left in place")]
    assert left == (
        "Left in place: the kfp-standalone 2.17.0 install this session put on cluster kf1 "
        "earlier, with the data in kubeflow/m; this teardown removes only the install on "
        'kf2, the cluster in use now. Ticking "Also delete clusters" below removes it, by '
        "deleting kf1."
    )
    # A cluster the session did not create is not deleted with it: say how instead.
    [left] = [
        line
        for line in preview_lines(_moved_session(kf1_ours=False))
        if line.startswith("Left in place")
    ]
    assert left.endswith(
        "kfwizard only reaches the cluster the session uses now. To remove it, choose "
        "cluster kf1 again in this session and tear down from there."
    )


def test_an_install_is_no_longer_elsewhere_once_the_session_is_back_on_its_cluster() -> None:
    session = _moved_session(kf1_ours=True)
    apply_out = session.outputs["apply"]
    assert [e["cluster"]["name"] for e in apply_out["elsewhere"]] == ["kf1"]
    remember_install_elsewhere(session, apply_out, "gke_p_us-central1-a_kf1")
    assert [e["cluster"]["name"] for e in apply_out["elsewhere"]] == ["kf2"]
    # One a teardown removed is not remembered.
    apply_out.update(target="gke_p_us-central1-a_kf1", uninstalled=True)
    apply_out.pop("elsewhere")
    remember_install_elsewhere(session, apply_out, "gke_p_us-central1-a_kf2")
    assert "elsewhere" not in apply_out
