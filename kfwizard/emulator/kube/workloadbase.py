"""What every workload controller shares: owner references, pod-template hashes, finding
owned objects, and creating pods through Pod Security and admission webhooks the way a
real controller does (a refusal becomes a ``FailedCreate`` Warning event, then a retry).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import time
from typing import TYPE_CHECKING, Any

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.podutil import is_terminal, set_condition
from kfwizard.emulator.kube.registry import now_rfc3339
from kfwizard.emulator.kube.store import Obj, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

DEPLOYMENTS = ("apps", "deployments")
REPLICASETS = ("apps", "replicasets")
STATEFULSETS = ("apps", "statefulsets")
DAEMONSETS = ("apps", "daemonsets")
JOBS = ("batch", "jobs")
PODS = ("", "pods")
PVCS = ("", "persistentvolumeclaims")
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
FAILED_CREATE_RETRY = 2.0
FAILED_CREATE_BACKOFF_CAP = 30.0
"""Refused creations back off exponentially up to this (seconds x speed), as controllers do."""


def template_hash(template: Obj) -> str:
    """A stable pod-template-hash, spelled with the alphabet Kubernetes uses."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:10])


def owner_ref(owner: Obj) -> dict[str, Any]:
    md = meta(owner)
    return {
        "apiVersion": owner.get("apiVersion", ""),
        "kind": owner.get("kind", ""),
        "name": md["name"],
        "uid": md["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def int_or_percent(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        raw = total * float(value[:-1]) / 100
        return math.ceil(raw) if round_up else math.floor(raw)
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def revision_of(pod: Obj) -> str:
    return (meta(pod).get("labels") or {}).get("controller-revision-hash", "")


def pinned_node(pod: Obj) -> str:
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    terms = (
        ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms") or []
    for term in terms:
        for expr in term.get("matchFields") or []:
            if expr.get("key") == "metadata.name" and expr.get("values"):
                return str(expr["values"][0])
    return ""


TASK = {
    "ReplicaSet": "replicaset",
    "StatefulSet": "statefulset",
    "DaemonSet": "daemonset",
    "Job": "job",
}


def component(kind: str) -> str:
    return {
        "ReplicaSet": "replicaset-controller",
        "StatefulSet": "statefulset-controller",
        "DaemonSet": "daemonset-controller",
        "Job": "job-controller",
    }.get(kind, "controller-manager")


class WorkloadBase:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.blocked: set[tuple[str, str, str]] = set()
        """(kind, ns, name) of controllers whose pod creation was refused."""
        self.waiting_on_webhook: set[tuple[str, str, str]] = set()
        """The blocked ones a webhook refused: a pod that becomes ready may be its backend,
        so they retry at once. A Pod Security refusal waits out its backoff: no pod
        coming up changes a namespace's policy."""
        self._backoff: dict[tuple[str, str, str], tuple[int, float]] = {}
        """(owner kind, ns, name) -> (failures so far, monotonic time of the next try)."""

    # -- helpers ---------------------------------------------------------------------------
    def _rt(self, group: str, version: str, plural: str):
        rt = self.cluster.discovery.lookup(group, version, plural)
        assert rt is not None
        return rt

    def owned(self, owner: Obj, key: tuple[str, str]) -> list[Obj]:
        store = self.cluster.store
        out = []
        for dep_key, ns, name in store.dependents(meta(owner)["uid"]):
            if dep_key != key:
                continue
            obj = store.peek(dep_key, ns, name)
            if obj is None:
                continue
            ref = next(
                (r for r in meta(obj).get("ownerReferences") or [] if r.get("controller")), None
            )
            if ref and ref.get("uid") == meta(owner)["uid"]:
                out.append(obj)
        return sorted(out, key=lambda o: meta(o)["name"])

    def live_pods(self, owner: Obj) -> list[Obj]:
        return [
            p
            for p in self.owned(owner, PODS)
            if not is_terminal(p) and not meta(p).get("deletionTimestamp")
        ]

    def create_pod(
        self,
        owner: Obj,
        owner_kind: str,
        name: str,
        template: Obj,
        extra_labels: dict[str, str] | None = None,
        spec_patch: dict[str, Any] | None = None,
    ) -> Obj | None:
        """Create a pod from a template; on refusal record FailedCreate and return None."""
        cluster = self.cluster
        md = meta(owner)
        ns = md["namespace"]
        tmeta = copy.deepcopy(template.get("metadata") or {})
        labels = dict(tmeta.get("labels") or {})
        labels.update(extra_labels or {})
        pod_md: dict[str, Any] = {
            "name": name,
            "namespace": ns,
            "labels": labels,
            "ownerReferences": [owner_ref(owner)],
        }
        if tmeta.get("annotations"):
            pod_md["annotations"] = dict(tmeta["annotations"])
        spec = copy.deepcopy(template.get("spec") or {})
        spec.update(spec_patch or {})
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": pod_md, "spec": spec}
        rt = self._rt("", "v1", "pods")
        key = (owner_kind, ns, md["name"])
        failures, next_try = self._backoff.get(key, (0, 0.0))
        now = time.monotonic()
        if failures and now < next_try:
            # Still backing off. Woken early (its own status write wakes it), this run took
            # the queued retry's place: queue it again, or it would never come.
            cluster.sim.enqueue(TASK[owner_kind], ns, md["name"], after=next_try - now)
            return None

        by_policy = False

        def admit(obj: Obj) -> None:
            nonlocal by_policy
            refusal = cluster.admission.pod_security(ns, obj)
            if refusal:
                by_policy = True
                raise errors.forbidden("pods", "", name, refusal)
            cluster.admission.check_webhooks(rt, "CREATE", obj, ns)

        try:
            created = cluster.registry.create(
                rt, pod, ns, manager="kube-controller-manager", admit=admit
            )
        except errors.ApiError as err:
            cluster.recorder.record(
                owner,
                "Warning",
                "FailedCreate",
                f"Error creating: {err.message}",
                component(owner_kind),
            )
            self.blocked.add(key)
            if by_policy:
                self.waiting_on_webhook.discard(key)
            else:
                self.waiting_on_webhook.add(key)
            first = cluster.sim.cycle(FAILED_CREATE_RETRY)
            # The cap scales with speed too, but never below 16 first delays: at speed 0
            # both are the minimum cycle, and the backoff would not grow at all.
            cap = max(cluster.sim.cycle(FAILED_CREATE_BACKOFF_CAP), 16 * first)
            delay = min(first * 2**failures, cap)
            self._backoff[key] = (failures + 1, time.monotonic() + delay)
            cluster.sim.enqueue(TASK[owner_kind], ns, md["name"], after=delay)
            self._failed_create_condition(owner, owner_kind, err.message)
            return None
        self.blocked.discard(key)
        self.waiting_on_webhook.discard(key)
        self._backoff.pop(key, None)
        cluster.recorder.record(
            owner, "Normal", "SuccessfulCreate", f"Created pod: {name}", component(owner_kind)
        )
        return created

    def _failed_create_condition(self, owner: Obj, kind: str, message: str) -> None:
        if kind != "ReplicaSet":
            return
        status = copy.deepcopy(owner.get("status") or {})
        current = [c for c in status.get("conditions") or [] if c.get("type") == "ReplicaFailure"]
        if current and current[0].get("status") == "True":
            return  # already says so; a status write would wake the controller again
        status["conditions"] = set_condition(
            status.get("conditions") or [],
            "ReplicaFailure",
            "True",
            "FailedCreate",
            message,
            now_rfc3339(),
        )
        status.setdefault("replicas", 0)
        self.cluster.registry.write_status(self._rt("apps", "v1", "replicasets"), owner, status)

    def retry_blocked(self, namespace: str = "", name: str = "") -> None:
        """A pod became ready (maybe a webhook backend): retry the pod creations a webhook
        refused."""
        for kind, ns, obj_name in sorted(self.waiting_on_webhook):
            self._backoff.pop((kind, ns, obj_name), None)  # the cause may be gone: try now
            self.cluster.sim.enqueue(TASK[kind], ns, obj_name)

    def delete_pod(self, pod: Obj) -> None:
        try:
            self.cluster.registry.delete(
                self._rt("", "v1", "pods"), meta(pod)["namespace"], meta(pod)["name"]
            )
        except errors.ApiError:
            pass
