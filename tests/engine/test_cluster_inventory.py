"""Which clusters a session created, as the user moves between clusters: pure logic."""

from __future__ import annotations

from typing import Any

from kfwizard.engine.cluster_inventory import (
    clusters_to_delete,
    created_here,
    earlier_clusters,
    mark_deleted,
    use_cluster,
)

A = ("proj", "us-central1-a", "cluster-a")
B = ("proj", "europe-west1", "cluster-b")


def _names(clusters: list[dict[str, Any]]) -> list[str]:
    return [c["name"] for c in clusters]


def test_a_new_cluster_leaves_the_first_listed_for_the_teardown() -> None:
    inventory: dict[str, Any] = {}
    assert use_cluster(inventory, A, created=True) is None
    retired = use_cluster(inventory, B, created=True)
    assert retired is not None and retired["name"] == "cluster-a"
    assert inventory["cluster"]["name"] == "cluster-b"
    assert _names(earlier_clusters(inventory)) == ["cluster-a"]
    assert _names(clusters_to_delete(inventory)) == ["cluster-b", "cluster-a"]
    assert created_here(inventory, *A) and created_here(inventory, *B)
    assert not created_here(inventory, "proj", "us-central1-a", "someone-elses")


def test_the_same_cluster_again_changes_nothing() -> None:
    inventory: dict[str, Any] = {}
    use_cluster(inventory, A, created=True)
    before = dict(inventory)
    assert use_cluster(inventory, A, created=True) is None
    assert use_cluster(inventory, A, created=False) is None
    assert inventory == before


def test_going_back_to_an_earlier_cluster_makes_it_current_and_ours_again() -> None:
    inventory: dict[str, Any] = {}
    use_cluster(inventory, A, created=True)
    use_cluster(inventory, B, created=True)
    retired = use_cluster(inventory, A, created=False)  # adopted: found by name
    assert retired is not None and retired["name"] == "cluster-b"
    assert inventory["cluster"] == {
        "project": "proj",
        "location": "us-central1-a",
        "name": "cluster-a",
        "created_by_session": True,
    }
    assert _names(earlier_clusters(inventory)) == ["cluster-b"]


def test_an_adopted_cluster_is_recorded_as_not_ours_and_a_context_not_at_all() -> None:
    """The adopted cluster is the current one, flagged as not created here: the teardown
    names it and deletes it only when its name is confirmed (``DeleteClusterStep``)."""
    inventory: dict[str, Any] = {}
    use_cluster(inventory, A, created=True)
    retired = use_cluster(inventory, ("proj", "us-east1-b", "team"), created=False)
    assert retired is not None and retired["name"] == "cluster-a"
    assert inventory["cluster"]["name"] == "team"
    assert inventory["cluster"]["created_by_session"] is False
    assert not created_here(inventory, "proj", "us-east1-b", "team")
    assert _names(clusters_to_delete(inventory)) == ["team", "cluster-a"]
    assert use_cluster(inventory, None, created=False) is None  # nothing of ours in use
    assert "cluster" not in inventory
    assert _names(clusters_to_delete(inventory)) == ["cluster-a"]


def test_a_context_after_a_created_cluster_retires_it() -> None:
    inventory: dict[str, Any] = {}
    use_cluster(inventory, A, created=True)
    retired = use_cluster(inventory, None, created=False)
    assert retired is not None and retired["name"] == "cluster-a"
    assert "cluster" not in inventory and _names(earlier_clusters(inventory)) == ["cluster-a"]


def test_deleted_clusters_leave_the_list_and_the_current_one_keeps_its_flag() -> None:
    inventory: dict[str, Any] = {}
    use_cluster(inventory, A, created=True)
    use_cluster(inventory, B, created=True)
    for cluster in clusters_to_delete(inventory):
        mark_deleted(inventory, cluster)
    assert inventory["cluster"]["deleted"] is True
    assert clusters_to_delete(inventory) == [] and earlier_clusters(inventory) == []
    # A deleted cluster is not retired again when another is chosen: nothing runs there.
    assert use_cluster(inventory, A, created=True) is None
    assert earlier_clusters(inventory) == []


def test_creating_the_same_cluster_after_a_teardown_clears_its_deleted_flag() -> None:
    inventory: dict[str, Any] = {}
    use_cluster(inventory, A, created=True)
    mark_deleted(inventory, inventory["cluster"])
    use_cluster(inventory, A, created=True)
    assert "deleted" not in inventory["cluster"]


def test_a_listed_earlier_cluster_counts_as_the_sessions_own() -> None:
    """Listed means created here, so the teardown's guard lets it be deleted even if the
    entry carries no flag of its own."""
    inventory: dict[str, Any] = {
        "earlier_clusters": [{"project": "p", "location": "l", "name": "x"}]
    }
    assert [c["created_by_session"] for c in clusters_to_delete(inventory)] == [True]
    assert created_here(inventory, "p", "l", "x")
