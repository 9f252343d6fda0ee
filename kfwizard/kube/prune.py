"""After new manifests are applied over earlier ones: remove what only the earlier had.

A user who upgrades (KFP 2.14 to 2.17 swaps MinIO for SeaweedFS) or switches env (away
from ``env/dev``, whose proxy agent may not pull) gets the new set applied over the old
one; without this, the old set's extra objects (MinIO; the proxy agent, the application
controller, their roles) keep running, or crash-looping, beside the new install.
``kubectl apply --prune`` does the same job, with labels; here the session's inventory
says what came earlier, and only within one deployment mode (the caller's rule).

Only objects kfwizard applied itself (field manager ``kfwizard`` in ``managedFields``)
are deleted: one someone else manages now is left alone, and named. Data and
definitions are never pruned: a PersistentVolumeClaim holds a database or an artifact
store, a Namespace holds everything in it, a CRD takes its custom resources with it.
They are kept and named, and a teardown still removes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kfwizard.kube.apply import FIELD_MANAGER
from kfwizard.kube.client import KubeClients
from kfwizard.kube.control import Control, Quiet
from kfwizard.kube.objects import CRD_KIND, ref_text
from kfwizard.kube.teardown import delete_one, delete_order, read_ref

KEPT_KINDS = frozenset({"PersistentVolumeClaim", "Namespace", CRD_KIND})
"""Kinds never pruned: they hold data, or other objects."""


@dataclass
class PruneReport:
    deleted: list[dict[str, str]] = field(default_factory=list)
    already_gone: list[dict[str, str]] = field(default_factory=list)
    kept: list[dict[str, str]] = field(default_factory=list)
    """Data and definitions (``KEPT_KINDS``): left for the user or the teardown."""
    not_ours: list[dict[str, str]] = field(default_factory=list)
    """Objects kfwizard no longer manages (another tool applied them since)."""

    @property
    def removed(self) -> list[dict[str, str]]:
        """What left the cluster, or had already: no longer the session's to track."""
        return self.deleted + self.already_gone


def _loose_key(ref: dict[str, Any]) -> tuple[str, str, str]:
    return (str(ref.get("kind")), str(ref.get("namespace") or ""), str(ref.get("name")))


def stale_refs(
    inventory: Iterable[dict[str, str]], current: Iterable[dict[str, str]]
) -> list[dict[str, str]]:
    """Inventory objects the current manifests do not have (by kind, namespace and name:
    an object whose apiVersion moved is the same object)."""
    now = {_loose_key(r) for r in current}
    unscoped = {(kind, name) for kind, namespace, name in now if not namespace}
    return [
        r
        for r in inventory
        if _loose_key(r) not in now and (r.get("kind"), r.get("name")) not in unscoped
    ]


def applied_by_kfwizard(obj: dict[str, Any]) -> bool:
    managers = (obj.get("metadata") or {}).get("managedFields") or []
    return any(m.get("manager") == FIELD_MANAGER for m in managers)


def prune(
    clients: KubeClients, stale: Iterable[dict[str, str]], *, control: Control | None = None
) -> PruneReport:
    """Delete the stale objects kfwizard applied (namespaced ones first); keep the rest."""
    control = control or Quiet()
    report = PruneReport()
    for ref in delete_order(stale):
        if ref.get("kind") in KEPT_KINDS:
            report.kept.append(ref)
            continue
        obj = read_ref(clients, ref, control)
        if obj is None:
            report.already_gone.append(ref)
        elif not applied_by_kfwizard(obj):
            report.not_ours.append(ref)
        elif delete_one(clients, ref, control):
            report.deleted.append(ref)
        else:
            report.already_gone.append(ref)
        control.check_cancel()
    return report


def describe(refs: Iterable[dict[str, str]], limit: int = 6) -> str:
    """``Deployment kubeflow/proxy-agent, Role ...`` (the first ``limit``, then a count)."""
    texts = [ref_text(r) for r in refs]
    shown = ", ".join(texts[:limit])
    return shown + (f" and {len(texts) - limit} more" if len(texts) > limit else "")
