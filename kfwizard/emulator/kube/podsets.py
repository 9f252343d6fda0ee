"""StatefulSet, DaemonSet and Job controllers.

StatefulSets create ``<name>-<ordinal>`` pods in order (OrderedReady) with claims from
their volumeClaimTemplates; DaemonSets pin one pod per matching node (node affinity on
``metadata.name``, as the real controller does) and replace outdated pods one at a time;
Jobs run a pod to completion and set ``Complete`` (or ``Failed`` after backoffLimit).
"""

from __future__ import annotations

import copy
from typing import Any

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.podutil import condition, is_ready, is_terminal, set_condition
from kfwizard.emulator.kube.registry import now_rfc3339
from kfwizard.emulator.kube.scheduler import node_fits_selector
from kfwizard.emulator.kube.store import Obj, meta
from kfwizard.emulator.kube.workloadbase import (
    DAEMONSETS,
    JOBS,
    PODS,
    PVCS,
    STATEFULSETS,
    WorkloadBase,
    pinned_node,
    revision_of,
    template_hash,
)


class PodSetControllers(WorkloadBase):
    """The ``statefulset``, ``daemonset`` and ``job`` reconcile handlers."""

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
            target = pinned_node(pod)
            if target not in node_names or target in by_node:
                self.delete_pod(pod)
            else:
                by_node[target] = pod
        revision = template_hash(template)
        outdated = [p for p in by_node.values() if revision_of(p) != revision]
        if outdated and all(is_ready(p) for p in by_node.values()):
            # RollingUpdate with maxUnavailable 1: replace one outdated pod at a time.
            self.delete_pod(outdated[0])
            by_node.pop(pinned_node(outdated[0]), None)
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
                created = self.create_pod(
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
                if created is None:
                    break
        pods = self.live_pods(ds)
        ready = sum(1 for p in pods if is_ready(p))
        scheduled = sum(1 for p in pods if (p.get("spec") or {}).get("nodeName"))
        updated = sum(
            1 for p in pods if (p.get("spec") or {}).get("nodeName") and revision_of(p) == revision
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
