"""Deployment and ReplicaSet controllers.

They write the status fields clients wait on, with the real condition reasons
(``Available``/``MinimumReplicasAvailable``, ``Progressing``/``NewReplicaSetAvailable``)
and the real naming (``<deploy>-<pod-template-hash>``, then ``<rs>-<5 chars>``).
Simplification: a template change scales the old ReplicaSet to 0 at once (no surge
bookkeeping); minReadySeconds and progress deadlines are ignored.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from kfwizard.emulator.kube.podutil import condition, is_ready, set_condition
from kfwizard.emulator.kube.registry import now_rfc3339
from kfwizard.emulator.kube.store import Obj, meta
from kfwizard.emulator.kube.workloadbase import (
    DEPLOYMENTS,
    REPLICASETS,
    WorkloadBase,
    int_or_percent,
    owner_ref,
    template_hash,
)


class DeploymentControllers(WorkloadBase):
    """The ``deployment`` and ``replicaset`` reconcile handlers."""

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
            rs_body: dict[str, Any] = {
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
                    "ownerReferences": [owner_ref(dep)],
                },
                "spec": {"replicas": desired, "selector": selector, "template": rs_template},
            }
            new_rs = cluster.registry.create(
                rs_rt, rs_body, namespace, manager="kube-controller-manager"
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
            max_unavailable = int_or_percent(
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
