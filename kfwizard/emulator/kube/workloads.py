"""Workload controllers: Deployment -> ReplicaSet -> Pods, StatefulSet, DaemonSet, Job.

They write the status fields clients wait on, with the real condition reasons
(Deployment ``Available``/``MinimumReplicasAvailable`` and ``Progressing``/
``NewReplicaSetAvailable``; Job ``Complete``), and the naming real controllers use
(``<deploy>-<template hash>-<5 chars>``, ``<sts>-0``). Pod creation goes through Pod
Security and admission webhooks like a real ReplicaSet controller's: a refusal becomes a
``FailedCreate`` Warning event and a ``ReplicaFailure`` condition, then a retry.

Simplifications: a template change scales the old ReplicaSet to 0 at once (no surge
bookkeeping); minReadySeconds and progress deadlines are ignored.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import time
from typing import TYPE_CHECKING, Any

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.podutil import condition, is_ready, is_terminal, set_condition
from kfwizard.emulator.kube.registry import now_rfc3339
from kfwizard.emulator.kube.scheduler import node_fits_selector
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


def template_hash(template: Obj) -> str:
    """A stable pod-template-hash, spelled with the alphabet Kubernetes uses."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:10])


def _owner_ref(owner: Obj) -> dict[str, Any]:
    md = meta(owner)
    return {
        "apiVersion": owner.get("apiVersion", ""),
        "kind": owner.get("kind", ""),
        "name": md["name"],
        "uid": md["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _int_or_percent(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        raw = total * float(value[:-1]) / 100
        return math.ceil(raw) if round_up else math.floor(raw)
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class Workloads:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.blocked: set[tuple[str, str, str]] = set()
        """(kind, ns, name) of controllers whose pod creation was refused."""

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
            "ownerReferences": [_owner_ref(owner)],
        }
        if tmeta.get("annotations"):
            pod_md["annotations"] = dict(tmeta["annotations"])
        spec = copy.deepcopy(template.get("spec") or {})
        spec.update(spec_patch or {})
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": pod_md, "spec": spec}
        rt = self._rt("", "v1", "pods")
        key = (owner_kind, ns, md["name"])

        def admit(obj: Obj) -> None:
            refusal = cluster.admission.pod_security(ns, obj)
            if refusal:
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
                _component(owner_kind),
            )
            self.blocked.add(key)
            cluster.sim.enqueue(
                _TASK[owner_kind], ns, md["name"], after=cluster.sim.cycle(FAILED_CREATE_RETRY)
            )
            self._failed_create_condition(owner, owner_kind, err.message)
            return None
        self.blocked.discard(key)
        cluster.recorder.record(
            owner, "Normal", "SuccessfulCreate", f"Created pod: {name}", _component(owner_kind)
        )
        return created

    def _failed_create_condition(self, owner: Obj, kind: str, message: str) -> None:
        if kind != "ReplicaSet":
            return
        status = copy.deepcopy(owner.get("status") or {})
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
        """A pod became ready (maybe a webhook backend): retry refused pod creations."""
        for kind, ns, obj_name in sorted(self.blocked):
            self.cluster.sim.enqueue(_TASK[kind], ns, obj_name)

    def delete_pod(self, pod: Obj) -> None:
        try:
            self.cluster.registry.delete(
                self._rt("", "v1", "pods"), meta(pod)["namespace"], meta(pod)["name"]
            )
        except errors.ApiError:
            pass

    # -- Deployment ---------------------------------------------------------------------------
    def deployment(self, namespace: str, name: str) -> None:
        cluster = self.cluster
        dep = cluster.store.peek(DEPLOYMENTS, namespace, name)
        if dep is None or meta(dep).get("deletionTimestamp"):
            return
        spec = dep.get("spec") or {}
        desired = int(spec.get("replicas", 1))
        template = spec.get("template") or {}
        pth = template_hash(template)
        rs_rt = self._rt("apps", "v1", "replicasets")
        sets = self.owned(dep, REPLICASETS)
        new_rs = next(
            (rs for rs in sets if (meta(rs).get("labels") or {}).get("pod-template-hash") == pth),
            None,
        )
        revision = max(
            [
                int(
                    (meta(rs).get("annotations") or {}).get(
                        "deployment.kubernetes.io/revision", "0"
                    )
                )
                for rs in sets
            ]
            or [0]
        )
        created_now = False
        if new_rs is None:
            rs_template = copy.deepcopy(template)
            rs_template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = (
                pth
            )
            selector = copy.deepcopy(spec.get("selector") or {})
            selector.setdefault("matchLabels", {})["pod-template-hash"] = pth
            labels = dict((template.get("metadata") or {}).get("labels") or {})
            labels["pod-template-hash"] = pth
            rs = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": f"{name}-{pth}",
                    "namespace": namespace,
                    "labels": labels,
                    "annotations": {
                        "deployment.kubernetes.io/desired-replicas": str(desired),
                        "deployment.kubernetes.io/max-replicas": str(desired + 1),
                        "deployment.kubernetes.io/revision": str(revision + 1),
                    },
                    "ownerReferences": [_owner_ref(dep)],
                },
                "spec": {"replicas": desired, "selector": selector, "template": rs_template},
            }
            new_rs = cluster.registry.create(
                rs_rt, rs, namespace, manager="kube-controller-manager"
            )
            created_now = True
            cluster.recorder.record(
                dep,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled up replica set {meta(new_rs)['name']} from 0 to {desired}",
                "deployment-controller",
            )
        elif int((new_rs.get("spec") or {}).get("replicas", 0)) != desired:
            before = int((new_rs.get("spec") or {}).get("replicas", 0))
            scaled = copy.deepcopy(new_rs)
            scaled["spec"]["replicas"] = desired
            new_rs = cluster.registry.update(
                rs_rt, namespace, meta(new_rs)["name"], scaled, check_rv=False
            )
            verb = "up" if desired > before else "down"
            cluster.recorder.record(
                dep,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled {verb} replica set {meta(new_rs)['name']} from {before} to {desired}",
                "deployment-controller",
            )
        for rs in sets:
            if (
                meta(rs)["name"] != meta(new_rs)["name"]
                and int((rs.get("spec") or {}).get("replicas", 0)) > 0
            ):
                before = int(rs["spec"]["replicas"])
                scaled = copy.deepcopy(rs)
                scaled["spec"]["replicas"] = 0
                cluster.registry.update(rs_rt, namespace, meta(rs)["name"], scaled, check_rv=False)
                cluster.recorder.record(
                    dep,
                    "Normal",
                    "ScalingReplicaSet",
                    f"Scaled down replica set {meta(rs)['name']} from {before} to 0",
                    "deployment-controller",
                )
        self._deployment_status(dep, new_rs, created_now)

    def _deployment_status(self, dep: Obj, new_rs: Obj, created_now: bool) -> None:
        cluster = self.cluster
        md = meta(dep)
        spec = dep.get("spec") or {}
        desired = int(spec.get("replicas", 1))
        sets = self.owned(dep, REPLICASETS)
        total = ready = available = 0
        for rs in sets:
            st = rs.get("status") or {}
            total += int(st.get("replicas") or 0)
            ready += int(st.get("readyReplicas") or 0)
            available += int(st.get("availableReplicas") or 0)
        updated = int((new_rs.get("status") or {}).get("replicas") or 0)
        strategy = spec.get("strategy") or {}
        max_unavailable = 0
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            max_unavailable = _int_or_percent(
                (strategy.get("rollingUpdate") or {}).get("maxUnavailable", "25%"), desired, False
            )
        now = now_rfc3339()
        status = copy.deepcopy(dep.get("status") or {})
        status["observedGeneration"] = md.get("generation", 1)
        for field, value in (
            ("replicas", total),
            ("updatedReplicas", updated),
            ("readyReplicas", ready),
            ("availableReplicas", available),
            ("unavailableReplicas", max(0, desired - available)),
        ):
            if value:
                status[field] = value
            else:
                status.pop(field, None)
        is_available = available >= desired - max_unavailable
        conditions = status.get("conditions") or []
        extra = {"lastUpdateTime": now}
        if is_available:
            conditions = set_condition(
                conditions,
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                now,
                extra,
            )
        else:
            conditions = set_condition(
                conditions,
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                now,
                extra,
            )
        rs_name = meta(new_rs)["name"]
        complete = updated == desired and available >= desired and total == updated
        if complete:
            reason, message = (
                "NewReplicaSetAvailable",
                f'ReplicaSet "{rs_name}" has successfully progressed.',
            )
        elif created_now or condition(dep, "Progressing") is None:
            reason, message = "NewReplicaSetCreated", f'Created new replica set "{rs_name}"'
        else:
            reason, message = "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.'
        conditions = set_condition(conditions, "Progressing", "True", reason, message, now, extra)
        status["conditions"] = conditions
        cluster.registry.write_status(self._rt("apps", "v1", "deployments"), dep, status)
        key = (md["namespace"], md["name"])
        if is_available and desired > 0 and key not in cluster.available_at:
            cluster.available_at[key] = time.time()
            cluster.sim.enqueue("kfp", md["namespace"], md["name"])

    # -- ReplicaSet ---------------------------------------------------------------------------
    def replicaset(self, namespace: str, name: str) -> None:
        cluster = self.cluster
        rs = cluster.store.peek(REPLICASETS, namespace, name)
        if rs is None or meta(rs).get("deletionTimestamp"):
            return
        ns_state = cluster.registry.namespace_state(namespace)
        desired = int((rs.get("spec") or {}).get("replicas", 1))
        pods = self.live_pods(rs)
        if len(pods) < desired and ns_state == "Active":
            template = (rs.get("spec") or {}).get("template") or {}
            for _ in range(desired - len(pods)):
                pod = self.create_pod(
                    rs, "ReplicaSet", cluster.registry.generate_name(f"{name}-"), template
                )
                if pod is None:
                    break
        elif len(pods) > desired:
            doomed = sorted(pods, key=lambda p: (is_ready(p), meta(p)["name"]))[
                : len(pods) - desired
            ]
            for pod in doomed:
                self.delete_pod(pod)
        rs = cluster.store.peek(REPLICASETS, namespace, name) or rs
        pods = self.live_pods(rs)
        ready = sum(1 for p in pods if is_ready(p))
        status = copy.deepcopy(rs.get("status") or {})
        status["replicas"] = len(pods)
        status["fullyLabeledReplicas"] = len(pods)
        status["observedGeneration"] = meta(rs).get("generation", 1)
        for field, value in (("readyReplicas", ready), ("availableReplicas", ready)):
            if value:
                status[field] = value
            else:
                status.pop(field, None)
        if ("ReplicaSet", namespace, name) not in self.blocked:
            status["conditions"] = [
                c for c in status.get("conditions") or [] if c.get("type") != "ReplicaFailure"
            ]
            if not status["conditions"]:
                status.pop("conditions")
        cluster.registry.write_status(self._rt("apps", "v1", "replicasets"), rs, status)

    # -- StatefulSet ----------------------------------------------------------------------------
    def statefulset(self, namespace: str, name: str) -> None:
        cluster = self.cluster
        sts = cluster.store.peek(STATEFULSETS, namespace, name)
        if sts is None or meta(sts).get("deletionTimestamp"):
            return
        spec = sts.get("spec") or {}
        desired = int(spec.get("replicas", 1))
        template = spec.get("template") or {}
        revision = f"{name}-{template_hash(template)}"
        pods = {meta(p)["name"]: p for p in self.live_pods(sts)}
        ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        if cluster.registry.namespace_state(namespace) == "Active":
            for index in range(desired):
                pod_name = f"{name}-{index}"
                pod = pods.get(pod_name)
                if (
                    pod is not None
                    and (meta(pod).get("labels") or {}).get("controller-revision-hash") != revision
                ):
                    if all(is_ready(p) for p in pods.values()):
                        self.delete_pod(pod)
                    break
                if pod is None:
                    self._ensure_claims(sts, index)
                    volumes = list((template.get("spec") or {}).get("volumes") or [])
                    for claim in spec.get("volumeClaimTemplates") or []:
                        tpl = meta(claim).get("name", "")
                        volumes = [v for v in volumes if v.get("name") != tpl]
                        volumes.append(
                            {
                                "name": tpl,
                                "persistentVolumeClaim": {"claimName": f"{tpl}-{name}-{index}"},
                            }
                        )
                    patch: dict[str, Any] = {"hostname": pod_name}
                    if spec.get("serviceName"):
                        patch["subdomain"] = spec["serviceName"]
                    if volumes:
                        patch["volumes"] = volumes
                    created = self.create_pod(
                        sts,
                        "StatefulSet",
                        pod_name,
                        template,
                        {
                            "controller-revision-hash": revision,
                            "statefulset.kubernetes.io/pod-name": pod_name,
                            "apps.kubernetes.io/pod-index": str(index),
                        },
                        patch,
                    )
                    if created is None or ordered:
                        break
                elif ordered and not is_ready(pod):
                    break
            for pod_name, pod in pods.items():
                index = pod_name.rsplit("-", 1)[-1]
                if index.isdigit() and int(index) >= desired:
                    self.delete_pod(pod)
        pods_now = self.live_pods(sts)
        ready = sum(1 for p in pods_now if is_ready(p))
        current = sum(
            1
            for p in pods_now
            if (meta(p).get("labels") or {}).get("controller-revision-hash") == revision
        )
        status = {
            "observedGeneration": meta(sts).get("generation", 1),
            "replicas": len(pods_now),
            "currentReplicas": current,
            "updatedReplicas": current,
            "currentRevision": revision,
            "updateRevision": revision,
            "collisionCount": 0,
        }
        if ready:
            status["readyReplicas"] = ready
            status["availableReplicas"] = ready
        cluster.registry.write_status(self._rt("apps", "v1", "statefulsets"), sts, status)

    def _ensure_claims(self, sts: Obj, index: int) -> None:
        cluster = self.cluster
        md = meta(sts)
        rt = self._rt("", "v1", "persistentvolumeclaims")
        for claim in (sts.get("spec") or {}).get("volumeClaimTemplates") or []:
            claim_name = f"{meta(claim).get('name', '')}-{md['name']}-{index}"
            if cluster.store.peek(PVCS, md["namespace"], claim_name) is not None:
                continue
            labels = dict(((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
            body = {
                "metadata": {"name": claim_name, "namespace": md["namespace"], "labels": labels},
                "spec": copy.deepcopy(claim.get("spec") or {}),
            }
            try:
                cluster.registry.create(
                    rt, body, md["namespace"], manager="kube-controller-manager"
                )
            except errors.ApiError:
                pass

    # -- DaemonSet --------------------------------------------------------------------------------
    def daemonset(self, namespace: str, name: str) -> None:
        cluster = self.cluster
        ds = cluster.store.peek(DAEMONSETS, namespace, name)
        if ds is None or meta(ds).get("deletionTimestamp"):
            return
        template = (ds.get("spec") or {}).get("template") or {}
        tspec = template.get("spec") or {}
        nodes = [
            n
            for n in cluster.scheduler.nodes()
            if node_fits_selector({"nodeSelector": tspec.get("nodeSelector")}, n)
        ]
        node_names = [meta(n)["name"] for n in nodes]
        pods = self.live_pods(ds)
        by_node: dict[str, Obj] = {}
        for pod in pods:
            target = _pinned_node(pod)
            if target not in node_names or target in by_node:
                self.delete_pod(pod)
            else:
                by_node[target] = pod
        revision = template_hash(template)
        outdated = [p for p in by_node.values() if _revision(p) != revision]
        if outdated and all(is_ready(p) for p in by_node.values()):
            # RollingUpdate with maxUnavailable 1: replace one outdated pod at a time.
            self.delete_pod(outdated[0])
            by_node.pop(_pinned_node(outdated[0]), None)
        if cluster.registry.namespace_state(namespace) == "Active":
            for node in node_names:
                if node in by_node:
                    continue
                affinity = copy.deepcopy(tspec.get("affinity") or {})
                affinity.setdefault("nodeAffinity", {})[
                    "requiredDuringSchedulingIgnoredDuringExecution"
                ] = {
                    "nodeSelectorTerms": [
                        {
                            "matchFields": [
                                {"key": "metadata.name", "operator": "In", "values": [node]}
                            ]
                        }
                    ]
                }
                tolerations = list(tspec.get("tolerations") or [])
                for key in (
                    "node.kubernetes.io/not-ready",
                    "node.kubernetes.io/unreachable",
                    "node.kubernetes.io/disk-pressure",
                    "node.kubernetes.io/memory-pressure",
                    "node.kubernetes.io/pid-pressure",
                    "node.kubernetes.io/unschedulable",
                ):
                    tolerations.append({"key": key, "operator": "Exists", "effect": "NoSchedule"})
                pod = self.create_pod(
                    ds,
                    "DaemonSet",
                    cluster.registry.generate_name(f"{name}-"),
                    template,
                    {
                        "controller-revision-hash": revision,
                        "pod-template-generation": str(meta(ds).get("generation", 1)),
                    },
                    {"affinity": affinity, "tolerations": tolerations},
                )
                if pod is None:
                    break
        pods = self.live_pods(ds)
        ready = sum(1 for p in pods if is_ready(p))
        scheduled = sum(1 for p in pods if (p.get("spec") or {}).get("nodeName"))
        updated = sum(
            1 for p in pods if (p.get("spec") or {}).get("nodeName") and _revision(p) == revision
        )
        status = {
            "observedGeneration": meta(ds).get("generation", 1),
            "desiredNumberScheduled": len(node_names),
            "currentNumberScheduled": scheduled,
            "updatedNumberScheduled": updated,
            "numberMisscheduled": 0,
            "numberReady": ready,
        }
        if ready:
            status["numberAvailable"] = ready
        if len(node_names) - ready > 0:
            status["numberUnavailable"] = len(node_names) - ready
        cluster.registry.write_status(self._rt("apps", "v1", "daemonsets"), ds, status)

    # -- Job -----------------------------------------------------------------------------
    def job(self, namespace: str, name: str) -> None:
        cluster = self.cluster
        job = cluster.store.peek(JOBS, namespace, name)
        if job is None or meta(job).get("deletionTimestamp"):
            return
        spec = job.get("spec") or {}
        status = copy.deepcopy(job.get("status") or {})
        if condition(job, "Complete") or condition(job, "Failed") or spec.get("suspend"):
            return
        pods = self.owned(job, PODS)
        succeeded = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
        failed = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Failed")
        active = [p for p in pods if not is_terminal(p)]
        completions = int(spec.get("completions", 1) or 1)
        now = now_rfc3339()
        if (
            succeeded < completions
            and failed <= int(spec.get("backoffLimit", 6))
            and not active
            and cluster.registry.namespace_state(namespace) == "Active"
        ):
            template = spec.get("template") or {}
            pod = self.create_pod(job, "Job", cluster.registry.generate_name(f"{name}-"), template)
            if pod is not None:
                active = [pod]
        status.setdefault("startTime", now)
        status["active"] = len(active)
        status["ready"] = sum(1 for p in active if is_ready(p))
        status["succeeded"] = succeeded
        status["failed"] = failed
        status["terminating"] = 0
        status["uncountedTerminatedPods"] = {}
        for field in ("active", "succeeded", "failed"):
            if not status[field]:
                status.pop(field)
        conditions = status.get("conditions") or []
        if succeeded >= completions:
            conditions = set_condition(
                conditions,
                "SuccessCriteriaMet",
                "True",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                now,
                {"lastProbeTime": now},
            )
            conditions = set_condition(
                conditions,
                "Complete",
                "True",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                now,
                {"lastProbeTime": now},
            )
            status["completionTime"] = now
            cluster.recorder.record(job, "Normal", "Completed", "Job completed", "job-controller")
        elif failed > int(spec.get("backoffLimit", 6)):
            conditions = set_condition(
                conditions,
                "FailureTarget",
                "True",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                now,
                {"lastProbeTime": now},
            )
            conditions = set_condition(
                conditions,
                "Failed",
                "True",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                now,
                {"lastProbeTime": now},
            )
        if conditions:
            status["conditions"] = conditions
        cluster.registry.write_status(self._rt("batch", "v1", "jobs"), job, status)


def _revision(pod: Obj) -> str:
    return (meta(pod).get("labels") or {}).get("controller-revision-hash", "")


def _pinned_node(pod: Obj) -> str:
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


_TASK = {
    "ReplicaSet": "replicaset",
    "StatefulSet": "statefulset",
    "DaemonSet": "daemonset",
    "Job": "job",
}


def _component(kind: str) -> str:
    return {
        "ReplicaSet": "replicaset-controller",
        "StatefulSet": "statefulset-controller",
        "DaemonSet": "daemonset-controller",
        "Job": "job-controller",
    }.get(kind, "controller-manager")
