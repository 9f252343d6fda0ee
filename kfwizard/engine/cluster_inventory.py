"""Which GKE clusters a session created: what ``teardown --delete-cluster`` deletes.

``inventory["cluster"]`` is the cluster this session created and uses now. A user who
goes back to the Cluster step and picks another cluster leaves the first one running,
and billed by the hour. It is not forgotten: it moves to
``inventory["earlier_clusters"]``, so the teardown still deletes it, and choosing it
again later is recognised as this session's own instead of refused as someone else's.

A cluster the user brought (``source: existing``) is recorded as the current one with
``created_by_session`` false: the teardown names it and deletes it only when the user
confirms its name. A kubeconfig context is not recorded (kfwizard cannot delete it).

Pure functions on the inventory dict: the cluster step and the teardown share them,
and they are unit-tested without a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

EARLIER = "earlier_clusters"
"""Inventory key: session-created clusters the session moved away from."""

Where = tuple[str, str, str]
"""(project, location, name)."""


def where(cluster: Mapping[str, Any]) -> Where:
    return (str(cluster.get("project")), str(cluster.get("location")), str(cluster.get("name")))


def current_cluster(inventory: Mapping[str, Any]) -> dict[str, Any]:
    """The session-created cluster in use now ({} when there is none)."""
    return dict(inventory.get("cluster") or {})


def earlier_clusters(inventory: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Clusters this session created, left behind when another was chosen, and not
    deleted since (each marked as the session's own, which it is by being listed)."""
    return [
        {**c, "created_by_session": True}
        for c in inventory.get(EARLIER) or []
        if not c.get("deleted")
    ]


def remaining_cluster(inventory: Mapping[str, Any]) -> dict[str, Any]:
    """The current cluster unless a teardown deleted it ({} then, or with none)."""
    current = current_cluster(inventory)
    return current if current.get("name") and not current.get("deleted") else {}


def clusters_to_delete(inventory: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every cluster a ``--delete-cluster`` teardown removes: the current one first."""
    current = remaining_cluster(inventory)
    return ([current] if current else []) + earlier_clusters(inventory)


def deletable(cluster: Mapping[str, Any], confirm_name: str | None) -> bool:
    """A ``--delete-cluster`` teardown deletes ``cluster``: the session created it, or
    the user confirmed its name (``--confirm-name``, typed in the teardown dialog)."""
    return bool(cluster.get("created_by_session")) or (
        bool(confirm_name) and confirm_name == cluster.get("name")
    )


def created_here(inventory: Mapping[str, Any], project: str, location: str, name: str) -> bool:
    """This session created the cluster, whether it uses it now or used it before."""
    target = (project, location, name)
    current = current_cluster(inventory)
    if current.get("created_by_session") and where(current) == target:
        return True
    return any(where(c) == target for c in earlier_clusters(inventory))


def use_cluster(
    inventory: MutableMapping[str, Any], target: Where | None, *, created: bool
) -> dict[str, Any] | None:
    """Record that the session now uses ``target`` (None: a kubeconfig context).

    ``created``: the session created it (now or earlier). The previous session-created
    cluster, if it is another one and still there as far as the session knows, moves to
    the earlier clusters; it is returned so the caller can warn that it keeps running.
    """
    current = current_cluster(inventory)
    if current.get("name") and target is not None and where(current) == target:
        if created:  # (created again after a teardown deleted it: no longer deleted)
            current.pop("deleted", None)
            inventory["cluster"] = {**current, "created_by_session": True}
        return None
    earlier = [c for c in inventory.get(EARLIER) or [] if target is None or where(c) != target]
    was_earlier = len(earlier) != len(inventory.get(EARLIER) or [])
    retired = None
    if current.get("created_by_session") and not current.get("deleted"):
        retired = current
        earlier = [c for c in earlier if where(c) != where(current)] + [current]
    if earlier:
        inventory[EARLIER] = earlier
    else:
        inventory.pop(EARLIER, None)
    if target is not None:
        # An adopted cluster is recorded too, as not the session's own: the teardown
        # then names it, and deletes it only when its name is confirmed.
        project, location, name = target
        inventory["cluster"] = {
            "project": project,
            "location": location,
            "name": name,
            "created_by_session": created or was_earlier,
        }
    else:
        inventory.pop("cluster", None)
    return retired


def mark_deleted(inventory: MutableMapping[str, Any], cluster: Mapping[str, Any]) -> None:
    """A teardown deleted ``cluster``: the current one keeps its record (flagged, so the
    session reads as torn down); an earlier one is flagged in its list."""
    current = current_cluster(inventory)
    if current.get("name") and where(current) == where(cluster):
        inventory["cluster"] = {**current, "deleted": True}
        return
    inventory[EARLIER] = [
        {**c, "deleted": True} if where(c) == where(cluster) else c
        for c in inventory.get(EARLIER) or []
    ]
