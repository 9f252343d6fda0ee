"""Lifecycle controllers: namespaces (per-namespace defaults and termination), CRDs
(NamesAccepted/Established, then served; cleanup on delete) and garbage collection.

Namespace termination follows the real namespace controller: the DELETE marks the
namespace Terminating, then its content is deleted; objects with finalizers stay (with
``deletionTimestamp``) and the namespace stays Terminating with the real conditions
naming them ("Some resources are remaining: configmaps. has 1 resource instances",
"Some content in the namespace has finalizers remaining: example.com/x in 1 resource
instances") until the finalizers are removed; then the namespace is gone. The first pass
runs 0.5 s x speed after the DELETE, but never sooner than 1 s: a real namespace
controller is never instant, and ``kubectl delete -f`` of a file holding a namespace and
then objects inside it must not lose the race it wins against a real cluster.
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.discovery import types_from_crd
from kfwizard.emulator.kube.podutil import condition, set_condition
from kfwizard.emulator.kube.registry import NAMESPACES, now_rfc3339
from kfwizard.emulator.kube.store import Obj, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

CRDS = ("apiextensions.k8s.io", "customresourcedefinitions")
CRD_CLEANUP = "customresourcecleanup.apiextensions.k8s.io"
ESTABLISH_AFTER = 0.3
NAMESPACE_PASS = 0.5
ROOT_CA_DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
    "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
    "guaranteed across distributions of Kubernetes clusters."
)
NAMESPACE_MIN = 1.0


class Lifecycle:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._deleting_since: dict[str, float] = {}

    # -- namespaces -------------------------------------------------------------------------
    def namespace(self, _: str, name: str) -> None:
        ns = self.cluster.store.peek(NAMESPACES, "", name)
        if ns is None:
            return
        if meta(ns).get("deletionTimestamp"):
            uid = meta(ns)["uid"]
            since = self._deleting_since.setdefault(uid, time.monotonic())
            pass_after = max(self.cluster.sim.delay(NAMESPACE_PASS), NAMESPACE_MIN)
            wait = pass_after - (time.monotonic() - since)
            if wait > 0:
                self.cluster.sim.enqueue("namespace", "", name, after=wait)
                return
            self._terminate(ns)
        else:
            self._defaults(name)

    def _defaults(self, namespace: str) -> None:
        """What controllers add to every namespace: the default ServiceAccount and the
        cluster CA ConfigMap."""
        cluster = self.cluster
        wanted: list[tuple[str, dict[str, Any]]] = [
            ("serviceaccounts", {"metadata": {"name": "default"}}),
            (
                "configmaps",
                {
                    "metadata": {
                        "name": "kube-root-ca.crt",
                        "annotations": {"kubernetes.io/description": ROOT_CA_DESCRIPTION},
                    },
                    "data": {"ca.crt": cluster.ca_pem or ""},
                },
            ),
        ]
        for plural, body in wanted:
            rt = cluster.discovery.lookup("", "v1", plural)
            if (
                rt is None
                or cluster.store.peek(rt.key, namespace, body["metadata"]["name"]) is not None
            ):
                continue
            try:
                cluster.registry.create(
                    rt, copy.deepcopy(body), namespace, manager="kube-controller-manager"
                )
            except errors.ApiError:
                pass

    def _terminate(self, ns: Obj) -> None:
        cluster = self.cluster
        name = meta(ns)["name"]
        for key in list(cluster.store.keys()):
            rt = cluster.discovery.any_version(*key)
            for obj in cluster.store.items(key, name):
                if rt is None or meta(obj).get("deletionTimestamp"):
                    continue
                try:
                    cluster.registry.delete(rt, name, meta(obj)["name"])
                except errors.ApiError:
                    pass
        remaining: Counter[str] = Counter()
        finalizers: Counter[str] = Counter()
        for key in list(cluster.store.keys()):
            for obj in cluster.store.items(key, name):
                group, plural = key
                remaining[f"{plural}.{group}"] += 1
                for fin in meta(obj).get("finalizers") or []:
                    finalizers[fin] += 1
        now = now_rfc3339()
        status = copy.deepcopy(ns.get("status") or {})
        status["phase"] = "Terminating"
        conds = status.get("conditions") or []
        conds = set_condition(
            conds,
            "NamespaceDeletionDiscoveryFailure",
            "False",
            "ResourcesDiscovered",
            "All resources successfully discovered",
            now,
        )
        conds = set_condition(
            conds,
            "NamespaceDeletionGroupVersionParsingFailure",
            "False",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed",
            now,
        )
        conds = set_condition(
            conds,
            "NamespaceDeletionContentFailure",
            "False",
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization",
            now,
        )
        if remaining:
            text = ", ".join(
                f"{gr} has {n} resource instances" for gr, n in sorted(remaining.items())
            )
            conds = set_condition(
                conds,
                "NamespaceContentRemaining",
                "True",
                "SomeResourcesRemain",
                f"Some resources are remaining: {text}",
                now,
            )
        else:
            conds = set_condition(
                conds,
                "NamespaceContentRemaining",
                "False",
                "ContentRemoved",
                "All content successfully removed",
                now,
            )
        if finalizers:
            text = ", ".join(
                f"{fin} in {n} resource instances" for fin, n in sorted(finalizers.items())
            )
            conds = set_condition(
                conds,
                "NamespaceFinalizersRemaining",
                "True",
                "SomeFinalizersRemain",
                f"Some content in the namespace has finalizers remaining: {text}",
                now,
            )
        else:
            conds = set_condition(
                conds,
                "NamespaceFinalizersRemaining",
                "False",
                "ContentHasNoFinalizers",
                "All content-preserving finalizers finished",
                now,
            )
        status["conditions"] = conds
        rt = cluster.discovery.lookup("", "v1", "namespaces")
        assert rt is not None
        ns = cluster.registry.write_status(rt, ns, status)
        if remaining:
            return
        done = copy.deepcopy(ns)
        done.setdefault("spec", {})["finalizers"] = []
        current = cluster.store.peek(NAMESPACES, "", name)
        if meta(done).get("finalizers"):
            cluster.store.commit(NAMESPACES, done, "MODIFIED", current)
        else:
            cluster.store.commit(NAMESPACES, done, "DELETED", current)

    # -- CRDs -----------------------------------------------------------------------------------
    def crd(self, _: str, name: str) -> None:
        cluster = self.cluster
        crd = cluster.store.peek(CRDS, "", name)
        if crd is None:
            cluster.discovery.drop_crd(name)
            return
        if meta(crd).get("deletionTimestamp"):
            self._crd_cleanup(crd)
            return
        established = condition(crd, "Established")
        if established is None or established.get("status") != "True":
            wait = cluster.sim.delay(ESTABLISH_AFTER) - cluster.registry.age(crd)
            if wait > 0:
                cluster.sim.enqueue("crd", "", name, after=wait)
                return
            names = dict((crd.get("spec") or {}).get("names") or {})
            now = now_rfc3339()
            status = copy.deepcopy(crd.get("status") or {})
            status["acceptedNames"] = names
            conds = status.get("conditions") or []
            conds = set_condition(
                conds, "NamesAccepted", "True", "NoConflicts", "no conflicts found", now
            )
            conds = set_condition(
                conds,
                "Established",
                "True",
                "InitialNamesAccepted",
                "the initial names have been accepted",
                now,
            )
            status["conditions"] = conds
            storage = [
                v.get("name")
                for v in (crd.get("spec") or {}).get("versions") or []
                if v.get("storage")
            ]
            stored = list(status.get("storedVersions") or [])
            for version in storage:
                if version not in stored:
                    stored.append(version)
            status["storedVersions"] = stored
            rt = cluster.discovery.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            assert rt is not None
            # Serve the kinds first, so a watcher that sees Established can use them at once.
            cluster.discovery.set_crd(name, types_from_crd(crd))
            cluster.registry.write_status(rt, crd, status)
            return
        cluster.discovery.set_crd(name, types_from_crd(crd))

    def _crd_cleanup(self, crd: Obj) -> None:
        cluster = self.cluster
        spec = crd.get("spec") or {}
        key = (spec.get("group", ""), (spec.get("names") or {}).get("plural", ""))
        rt = cluster.discovery.any_version(*key)
        now = now_rfc3339()
        status = copy.deepcopy(crd.get("status") or {})
        status["conditions"] = set_condition(
            status.get("conditions") or [],
            "Terminating",
            "True",
            "InstanceDeletionInProgress",
            "CustomResource deletion is in progress",
            now,
        )
        crd_rt = cluster.discovery.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert crd_rt is not None
        crd = cluster.registry.write_status(crd_rt, crd, status)
        if rt is not None:
            for obj in cluster.store.items(key):
                if not meta(obj).get("deletionTimestamp"):
                    try:
                        cluster.registry.delete(
                            rt, meta(obj).get("namespace", ""), meta(obj)["name"]
                        )
                    except errors.ApiError:
                        pass
        if cluster.store.items(key):
            return
        done = copy.deepcopy(crd)
        done["metadata"]["finalizers"] = [
            f for f in meta(crd).get("finalizers") or [] if f != CRD_CLEANUP
        ]
        cluster.registry.update(crd_rt, "", meta(crd)["name"], done, check_rv=False)
        if cluster.store.peek(CRDS, "", meta(crd)["name"]) is None:
            cluster.discovery.drop_crd(meta(crd)["name"])

    # -- garbage collection ----------------------------------------------------------------------
    def collect(self, _: str, owner_uid: str) -> None:
        self.cluster.registry.delete_dependents(owner_uid)
