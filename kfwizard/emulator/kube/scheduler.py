"""A first-fit scheduler with the real scheduler's vocabulary.

It checks what makes installs fail on real clusters: unbound PersistentVolumeClaims,
nodeSelector / required node affinity (``matchFields metadata.name`` pins DaemonSet
pods), the 110-pod limit and CPU/memory requests against allocatable minus what the
pods already bound to the node request (resources a pod does not request are not
checked, as in NodeResourcesFit). Pods with the system-*-critical priority classes
always fit (on real nodes their room is reserved).

The failure message has the real shape, reasons counted and sorted as strings::

    0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available:
    3 No preemption victims found for incoming pod.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from kfwizard.emulator.kube.podutil import cpu_millis, is_terminal, mem_mib, pod_requests, quantity
from kfwizard.emulator.kube.selectors import selector_matcher
from kfwizard.emulator.kube.store import Obj, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

CRITICAL = {"system-node-critical", "system-cluster-critical"}
MAX_PODS = 110


def _term_matches(term: dict[str, Any], node: Obj) -> bool:
    labels = meta(node).get("labels") or {}
    if term.get("matchExpressions") and not selector_matcher(
        {"matchExpressions": term["matchExpressions"]}
    )(labels):
        return False
    for expr in term.get("matchFields") or []:
        if expr.get("key") == "metadata.name":
            values = expr.get("values") or []
            inside = meta(node)["name"] in values
            if (expr.get("operator") == "In") != inside:
                return False
    return True


def node_fits_selector(pod_spec: Obj, node: Obj) -> bool:
    labels = meta(node).get("labels") or {}
    for key, value in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    return not terms or any(_term_matches(t, node) for t in terms)


class Scheduler:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def nodes(self) -> list[Obj]:
        nodes = self.cluster.store.items(("", "nodes"))
        return sorted(nodes, key=lambda n: meta(n)["name"])

    def usage(self) -> dict[str, tuple[int, float, int]]:
        """node -> (CPU millicores, memory MiB, pod count) requested by bound pods."""
        used: dict[str, tuple[int, float, int]] = {}
        for pod in self.cluster.store.items(("", "pods")):
            node = (pod.get("spec") or {}).get("nodeName")
            if not node or is_terminal(pod):
                continue
            cpu, mem = pod_requests(pod.get("spec") or {})
            c, m, n = used.get(node, (0, 0.0, 0))
            used[node] = (c + cpu, m + mem, n + 1)
        return used

    def claim_problem(self, pod: Obj) -> str | None:
        """Why the pod's volumes block scheduling (PVC missing or unbound), if they do."""
        ns = meta(pod).get("namespace", "")
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            pvc = self.cluster.store.peek(("", "persistentvolumeclaims"), ns, claim)
            if pvc is None:
                return f'persistentvolumeclaim "{claim}" not found'
            if (pvc.get("status") or {}).get("phase") != "Bound":
                return "pod has unbound immediate PersistentVolumeClaims"
        return None

    def place(self, pod: Obj) -> tuple[str | None, str]:
        """(node name, "") when the pod fits somewhere, else (None, the failure message)."""
        nodes = self.nodes()
        total = len(nodes)
        if not nodes:
            return None, "no nodes available to schedule pods"
        claim = self.claim_problem(pod)
        if claim:
            return None, (
                f"0/{total} nodes are available: {claim}. "
                f"preemption: 0/{total} nodes are available: "
                f"{total} Preemption is not helpful for scheduling."
            )
        spec = pod.get("spec") or {}
        critical = spec.get("priorityClassName") in CRITICAL
        cpu, mem = pod_requests(spec)
        used = self.usage()
        reasons: Counter[str] = Counter()
        resource_only = True
        for node in nodes:
            name = meta(node)["name"]
            node_reasons = []
            if (node.get("spec") or {}).get("unschedulable"):
                node_reasons.append("node(s) were unschedulable")
            if not node_fits_selector(spec, node):
                node_reasons.append("node(s) didn't match Pod's node affinity/selector")
            if not critical:
                alloc = (node.get("status") or {}).get("allocatable") or {}
                u_cpu, u_mem, u_pods = used.get(name, (0, 0.0, 0))
                if u_pods + 1 > int(quantity(alloc.get("pods", MAX_PODS))):
                    node_reasons.append("Too many pods")
                if cpu > 0 and u_cpu + cpu > cpu_millis(alloc.get("cpu", 0)):
                    node_reasons.append("Insufficient cpu")
                if mem > 0 and u_mem + mem > mem_mib(alloc.get("memory", 0)) + 1e-6:
                    node_reasons.append("Insufficient memory")
            if not node_reasons:
                return name, ""
            if any(not r.startswith(("Insufficient", "Too many")) for r in node_reasons):
                resource_only = False
            reasons.update(node_reasons)
        parts = sorted(f"{count} {reason}" for reason, count in reasons.items())
        tail = (
            f"{total} No preemption victims found for incoming pod."
            if resource_only
            else f"{total} Preemption is not helpful for scheduling."
        )
        return None, (
            f"0/{total} nodes are available: {', '.join(parts)}. "
            f"preemption: 0/{total} nodes are available: {tail}"
        )
