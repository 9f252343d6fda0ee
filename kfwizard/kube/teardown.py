"""Removing what a session applied, driven by its inventory (never by guessing) (P14).

Order: namespaced objects first (newest first), then cluster-scoped ones, CRDs last, so
that controllers can still run finalizers for the custom resources they own while the
rest goes away, and deleting a CRD does not cascade through objects we still list. A
404 means "already gone", which is what we want; so a second teardown is a no-op.

Namespaces take time to empty. When one stays ``Terminating``, its ``status.conditions``
say what is left ("Some content in the namespace has finalizers remaining: ..."), and we
name those objects with the exact ``kubectl patch`` that clears their finalizers, as a
last resort the user chooses, not something we do behind their back.
"""

from __future__ import annotations

import concurrent.futures as futures
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kfwizard.engine.cluster_inventory import current_cluster, deletable, earlier_clusters
from kfwizard.kube.client import KubeClients
from kfwizard.kube.control import Control, Quiet
from kfwizard.kube.errors import WaitTimeout
from kfwizard.kube.objects import CRD_KIND, ref_text
from kfwizard.kube.quantity import format_memory, memory_bytes
from kfwizard.kube.rest import get_object, get_ref, list_objects
from kfwizard.kube.retry import status_of, with_retries

FINALIZER_PATCH = '\'{"metadata":{"finalizers":[]}}\''


def delete_order(refs: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """Namespaced objects (reverse apply order), cluster-scoped ones, Namespaces, CRDs."""
    refs = list(refs)
    namespaced = [r for r in reversed(refs) if r.get("namespace")]
    cluster = [
        r
        for r in reversed(refs)
        if not r.get("namespace") and r.get("kind") not in (CRD_KIND, "Namespace")
    ]
    namespaces = [
        r for r in reversed(refs) if not r.get("namespace") and r.get("kind") == "Namespace"
    ]
    crds = [r for r in reversed(refs) if not r.get("namespace") and r.get("kind") == CRD_KIND]
    return namespaced + cluster + namespaces + crds


def inventory_namespaces(refs: Iterable[dict[str, str]]) -> list[str]:
    """Namespaces the inventory created (Namespace objects), in apply order."""
    return [r["name"] for r in refs if r.get("kind") == "Namespace" and not r.get("namespace")]


def touched_namespaces(refs: Iterable[dict[str, str]]) -> list[str]:
    """Every namespace the inventory put something in, or created."""
    names = [r.get("namespace") or "" for r in refs] + inventory_namespaces(refs)
    return [n for n in dict.fromkeys(names) if n]


def served_resource(clients: KubeClients, ref: dict[str, str]) -> Any:
    """The API resource for a ref, or None when its kind is no longer served (CRD gone)."""
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    try:
        return clients.resource(ref["apiVersion"], ref["kind"])
    except ResourceNotFoundError:
        return None


def read_ref(
    clients: KubeClients, ref: dict[str, str], control: Control | None = None
) -> dict[str, Any] | None:
    """The object ``ref`` names, or None: not there, or its kind no longer served."""
    if served_resource(clients, ref) is None:
        return None
    return get_ref(clients, ref, control=control)


def exists(clients: KubeClients, ref: dict[str, str], control: Control | None = None) -> bool:
    return read_ref(clients, ref, control) is not None


def remaining(
    clients: KubeClients, refs: Iterable[dict[str, str]], control: Control | None = None
) -> list[dict[str, str]]:
    """The refs that still exist (objects being deleted count as existing)."""
    return [r for r in refs if exists(clients, r, control)]


@dataclass
class DeleteReport:
    deleted: list[dict[str, str]] = field(default_factory=list)
    already_gone: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"deleted": len(self.deleted), "already_gone": len(self.already_gone)}


def delete_one(clients: KubeClients, ref: dict[str, str], control: Control | None = None) -> bool:
    """Delete (background propagation); True if it was there, False on 404/kind gone."""
    resource = served_resource(clients, ref)
    if resource is None:
        return False
    ns = ref.get("namespace") or None

    def call() -> bool:
        try:
            resource.delete(
                name=ref["name"],
                namespace=ns if resource.namespaced else None,
                body={"propagationPolicy": "Background"},
                serialize=False,
            )
            return True
        except Exception as exc:
            if status_of(exc) == 404:
                return False
            raise

    return with_retries(call, what=f"deleting {ref_text(ref)}", control=control)


def delete_objects(
    clients: KubeClients,
    refs: Iterable[dict[str, str]],
    *,
    control: Control | None = None,
    workers: int = 8,
    on_deleted: Callable[[int, int, dict[str, str]], None] | None = None,
) -> DeleteReport:
    """Delete ``refs`` in :func:`delete_order`: each group in parallel, groups in order."""
    control = control or Quiet()
    ordered = delete_order(refs)
    report = DeleteReport()
    groups = [
        [r for r in ordered if r.get("namespace")],
        [
            r
            for r in ordered
            if not r.get("namespace") and r.get("kind") not in (CRD_KIND, "Namespace")
        ],
        [r for r in ordered if not r.get("namespace") and r.get("kind") == "Namespace"],
        [r for r in ordered if not r.get("namespace") and r.get("kind") == CRD_KIND],
    ]
    total = len(ordered)
    done = 0
    with futures.ThreadPoolExecutor(
        max_workers=max(1, workers), thread_name_prefix="kfw-delete"
    ) as pool:
        for group in groups:
            jobs = {pool.submit(delete_one, clients, r, control): r for r in group}
            for fut in futures.as_completed(jobs):
                ref = jobs[fut]
                (report.deleted if fut.result() else report.already_gone).append(ref)
                done += 1
                if on_deleted is not None:
                    on_deleted(done, total, ref)
                control.check_cancel()
    return report


# -- namespaces that stay Terminating --------------------------------------------------
@dataclass
class Blocker:
    """Something that keeps a namespace from going away."""

    namespace: str
    what: str
    reason: str
    command: str = ""

    def line(self) -> str:
        fix = f" Fix (last resort): {self.command}" if self.command else ""
        return f"{self.namespace}: {self.what} — {self.reason}.{fix}"


_REMAINING = re.compile(r"([a-z0-9.-]+) has \d+ resource instances")


def _resource_by_plural(clients: KubeClients, plural_group: str) -> Any:
    plural, _, group = plural_group.partition(".")
    try:
        found = clients.dynamic.resources.search(group=group or None, name=plural)
    except Exception:
        return None
    found = [r for r in found if getattr(r, "name", "") == plural and "/" not in plural]
    return found[0] if found else None


def namespace_blockers(
    clients: KubeClients,
    namespace: str,
    *,
    kinds: Iterable[tuple[str, str]] = (),
    control: Control | None = None,
) -> list[Blocker]:
    """Name what keeps ``namespace`` in Terminating, with the patch that would free it.

    Reads the namespace's conditions (the namespace controller writes which resource
    types still have instances and which finalizers remain), then lists those types, plus
    ``kinds`` (apiVersion, kind) from the inventory, for objects carrying finalizers.
    """
    ns_obj = get_object(clients, "v1", "Namespace", namespace, control=control)
    if ns_obj is None:
        return []
    blockers: list[Blocker] = []
    resources: list[Any] = []
    for cond in (ns_obj.get("status") or {}).get("conditions") or []:
        if str(cond.get("status")) != "True":
            continue
        message = str(cond.get("message") or "")
        if cond.get("type") == "NamespaceDeletionDiscoveryFailure":
            blockers.append(
                Blocker(
                    namespace,
                    "an unavailable API (APIService)",
                    message,
                    "kubectl get apiservice | grep False  # then delete the broken APIService",
                )
            )
        for plural_group in _REMAINING.findall(message):
            res = _resource_by_plural(clients, plural_group)
            if res is not None:
                resources.append(res)
    for api_version, kind in kinds:
        try:
            resources.append(clients.resource(api_version, kind))
        except Exception:
            continue
    seen: set[tuple[str, str]] = set()
    for res in resources:
        key = (res.group_version, res.kind)
        if key in seen or not res.namespaced:
            continue
        seen.add(key)
        try:
            items = (
                list_objects(
                    clients, res.group_version, res.kind, namespace=namespace, control=control
                ).get("items")
                or []
            )
        except Exception:
            continue
        for item in items:
            meta = item.get("metadata") or {}
            finalizers = meta.get("finalizers") or []
            if not finalizers:
                continue
            type_name = f"{res.name}.{res.group}" if res.group else res.name
            blockers.append(
                Blocker(
                    namespace,
                    f"{res.kind} {namespace}/{meta.get('name')}",
                    f"it waits for finalizers {', '.join(finalizers)}",
                    f"kubectl patch {type_name} {meta.get('name')} -n {namespace} -p "
                    f"{FINALIZER_PATCH} --type=merge",
                )
            )
    if not blockers:
        finalizers = (ns_obj.get("spec") or {}).get("finalizers") or []
        conditions = [
            str(c.get("message"))
            for c in (ns_obj.get("status") or {}).get("conditions") or []
            if str(c.get("status")) == "True" and c.get("message")
        ]
        blockers.append(
            Blocker(
                namespace,
                f"Namespace {namespace}",
                "; ".join(conditions)
                or "it is still emptying"
                + (f" (namespace finalizers: {', '.join(finalizers)})" if finalizers else ""),
            )
        )
    return blockers


def wait_namespaces_gone(
    clients: KubeClients,
    names: Iterable[str],
    *,
    timeout: float = 300.0,
    control: Control | None = None,
    kinds: Iterable[tuple[str, str]] = (),
) -> list[Blocker]:
    """Wait (watching) until the namespaces are gone; on timeout return their blockers."""
    from kfwizard.kube.watching import Watcher, WatchSpec

    wanted = [n for n in dict.fromkeys(names) if n]
    if not wanted:
        return []
    control = control or Quiet()
    watcher = Watcher(clients, [WatchSpec("v1", "Namespace")], control)

    def gone(state: dict[str, Any]) -> bool:
        present = state.get("Namespace", {})
        return not any(("", n) in present for n in wanted)

    try:
        watcher.wait(gone, timeout=timeout, what="the namespaces to be deleted")
        return []
    except WaitTimeout:
        pass
    left = [n for n in wanted if ("", n) in watcher.state.get("Namespace", {})]
    blockers: list[Blocker] = []
    for name in left:
        blockers += namespace_blockers(clients, name, kinds=kinds, control=control)
    return blockers


# -- what will be lost -----------------------------------------------------------------
def list_pvcs(
    clients: KubeClients, namespaces: Iterable[str], control: Control | None = None
) -> list[dict[str, Any]]:
    """PVCs in the namespaces: name, size, StorageClass, phase (their data goes with them)."""
    out = []
    for ns in dict.fromkeys(namespaces):
        try:
            items = (
                list_objects(
                    clients, "v1", "PersistentVolumeClaim", namespace=ns, control=control
                ).get("items")
                or []
            )
        except Exception:
            continue
        for pvc in items:
            spec = pvc.get("spec") or {}
            size = ((pvc.get("status") or {}).get("capacity") or {}).get("storage") or (
                (spec.get("resources") or {}).get("requests") or {}
            ).get("storage", "?")
            out.append(
                {
                    "namespace": ns,
                    "name": pvc["metadata"]["name"],
                    "size": str(size),
                    "storageClass": spec.get("storageClassName") or "(default)",
                    "phase": (pvc.get("status") or {}).get("phase", "?"),
                }
            )
    return out


def pvc_total(pvcs: Iterable[dict[str, Any]]) -> str:
    total = 0
    for pvc in pvcs:
        try:
            total += memory_bytes(pvc.get("size", 0))
        except ValueError:
            continue
    return format_memory(total)


def _rendered_pvc_sizes(session: Any) -> dict[tuple[str, str], str]:
    """PVC sizes as the rendered manifests request them (best effort, no cluster needed)."""
    try:
        from kfwizard.manifests import load_rendered

        found = load_rendered(session.outputs.get("manifests") or {}, verify=False).pvcs
    except Exception:
        return {}
    return {(p.get("namespace") or "default", p["name"]): str(p.get("size") or "?") for p in found}


def installs_elsewhere(session: Any) -> list[dict[str, Any]]:
    """This session's installs on clusters it no longer uses (the apply step records
    one when the session moves to another cluster), minus those whose cluster a
    teardown deleted: they went with it."""
    from kfwizard.engine.cluster_inventory import EARLIER, where

    inventory = session.inventory
    deleted = {
        where(c)
        for c in [current_cluster(inventory), *(inventory.get(EARLIER) or [])]
        if c.get("deleted")
    }
    found = []
    for entry in (session.outputs.get("apply") or {}).get("elsewhere") or []:
        cluster = entry.get("cluster") or {}
        if cluster.get("name") and where(cluster) in deleted:
            continue
        found.append(dict(entry))
    return found


def elsewhere_text(
    session: Any,
    entry: dict[str, Any],
    *,
    delete_cluster: bool,
    remove_with: str = "--delete-cluster",
) -> str:
    """One install left on an earlier cluster, in a sentence: whether this teardown
    leaves it in place, and how to remove it.

    The teardown does not uninstall it. The session keeps no way to reach that
    cluster's API: its endpoint and CA were replaced by the current cluster's, an
    adopted cluster or a kubeconfig context is not kept at all once another is chosen,
    and the inventory lists objects without the cluster they went to (a mode changed
    since would make it delete the wrong set). What it can do is delete a cluster it
    created, which removes the install with it; so it says that, or, for a cluster it
    did not create, to choose that cluster again and tear down from there.
    ``remove_with``: how this teardown is asked to delete clusters (the flag, or the
    dialog's box).
    """
    cluster = entry.get("cluster") or {}
    name = cluster.get("name")
    place = f"cluster {name}" if name else f"kubeconfig context {entry.get('target')}"
    what = " ".join(str(x) for x in (entry.get("mode"), entry.get("version")) if x)
    pvcs = list(entry.get("pvcs") or [])
    data = f", with the data in {', '.join(pvcs)}" if pvcs else ""
    own = bool(name) and any(
        c.get("name") == name and c.get("location") == cluster.get("location")
        for c in earlier_clusters(session.inventory)
    )
    if own and delete_cluster:
        return (
            f"The {what} install this session put on {place} earlier goes with that "
            "cluster, which this teardown deletes."
        )
    lead = f"Left in place: the {what} install this session put on {place} earlier{data}"
    current = current_cluster(session.inventory).get("name")
    now = f"{current}, the cluster in use now" if current else "the cluster in use now"
    if own:
        return (
            f"{lead}; this teardown removes only the install on {now}. "
            f"{remove_with} removes it, by deleting {name}."
        )
    return (
        f"{lead}: kfwizard only reaches the cluster the session uses now. To remove it, "
        f"choose {place} again in this session and tear down from there."
    )


def teardown_preview(
    session: Any,
    *,
    delete_cluster: bool = False,
    confirm_name: str | None = None,
    clients: KubeClients | None = None,
) -> dict[str, Any]:
    """What a teardown of ``session`` would delete: objects by kind, PVCs, the cluster.

    Without ``clients`` the PVCs come from the inventory (names only); with them, from
    the cluster, with sizes.
    """
    refs = list(session.inventory.get("objects") or [])
    by_kind = Counter(r.get("kind", "?") for r in refs)
    namespaces = touched_namespaces(refs)
    if clients is not None:
        pvcs = list_pvcs(clients, namespaces)
    else:
        sizes = _rendered_pvc_sizes(session)
        pvcs = [
            {
                **pvc,
                "size": sizes.get((pvc["namespace"], pvc["name"]), "?"),
                "storageClass": "?",
                "phase": "?",
            }
            for pvc in session.inventory_pvcs()
        ]
    cluster = current_cluster(session.inventory)
    earlier = earlier_clusters(session.inventory)
    left = [
        (entry, elsewhere_text(session, entry, delete_cluster=delete_cluster))
        for entry in installs_elsewhere(session)
    ]
    will_delete = bool(delete_cluster and cluster.get("name") and deletable(cluster, confirm_name))
    cluster_text = None
    if cluster.get("name"):
        made = "created by this session" if cluster.get("created_by_session") else "adopted"
        cluster_text = (
            f"{cluster['name']} ({cluster.get('location', '?')}, project "
            f"{cluster.get('project', '?')}, {made})"
        )
    kinds = dict(sorted(by_kind.items()))
    return {
        "objects": len(refs),
        "by_kind": kinds,
        "objects_by_kind": kinds,
        "namespaces": inventory_namespaces(refs),
        "crds": by_kind.get(CRD_KIND, 0),
        "pvcs": pvcs,
        "pvc_total": pvc_total(pvcs) if clients is not None else "",
        "pvc_warning": (
            "Data in these PVCs will be lost: "
            + ", ".join(f"{p['namespace']}/{p['name']} ({p['size']})" for p in pvcs)
        )
        if pvcs
        else "",
        "cluster": cluster_text,
        "cluster_info": {**cluster, "will_delete": will_delete},
        "earlier_clusters": [
            f"{c['name']} ({c.get('location', '?')}, project {c.get('project', '?')}, created "
            f"by this session, no longer used){_left_on(c, left)}"
            for c in earlier
        ],
        "left_in_place": [text for _, text in left],
    }


def _left_on(cluster: dict[str, Any], left: list[tuple[dict[str, Any], str]]) -> str:
    """The sentence about the install on an earlier cluster, after that cluster's name
    (the preview lists earlier clusters; their installs are said there)."""
    texts = [
        text
        for entry, text in left
        if (entry.get("cluster") or {}).get("name") == cluster.get("name")
    ]
    return "".join(f". {t}" for t in texts)
