"""Room on the nodes: allocatable minus what running pods request (P3).

Shared by the capacity preflight (before anything is applied) and the "can't be
scheduled" diagnosis (after), so both compute free space the way the scheduler does:
per node, from ``status.allocatable`` minus the requests of the pods bound to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kfwizard.kube.quantity import cpu_millis, memory_bytes, pod_requests

NODEPOOL_LABEL = "cloud.google.com/gke-nodepool"
MACHINE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")


def _name(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", "?"))


@dataclass
class NodeRoom:
    """One node's allocatable and free CPU (millicores) and memory (bytes)."""

    name: str
    pool: str
    machine_type: str
    alloc_cpu: int
    alloc_mem: int
    free_cpu: int
    free_mem: int
    alloc_pods: int = 110
    pods: int = 0


def node_room(nodes: list[dict[str, Any]], pods: list[dict[str, Any]]) -> list[NodeRoom]:
    """Per schedulable, Ready node: allocatable minus the requests of pods on it."""
    rooms: list[NodeRoom] = []
    for node in nodes:
        spec, status = node.get("spec") or {}, node.get("status") or {}
        if spec.get("unschedulable"):
            continue
        ready = [c for c in status.get("conditions") or [] if c.get("type") == "Ready"]
        if ready and str(ready[0].get("status")) != "True":
            continue
        alloc = status.get("allocatable") or status.get("capacity") or {}
        labels = (node.get("metadata") or {}).get("labels") or {}
        room = NodeRoom(
            _name(node),
            str(labels.get(NODEPOOL_LABEL) or "default-pool"),
            str(next((labels[k] for k in MACHINE_LABELS if labels.get(k)), "")),
            cpu_millis(alloc.get("cpu", 0)),
            memory_bytes(alloc.get("memory", 0)),
            0,
            0,
            int(str(alloc.get("pods", 110)) or 110),
        )
        used_cpu = used_mem = count = 0
        for pod in pods:
            if (pod.get("spec") or {}).get("nodeName") != room.name:
                continue
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            cpu, mem = pod_requests(pod.get("spec") or {})
            used_cpu += cpu
            used_mem += mem
            count += 1
        room.free_cpu, room.free_mem = room.alloc_cpu - used_cpu, room.alloc_mem - used_mem
        room.pods = count
        rooms.append(room)
    return rooms


def larger_machine(need_cpu: int, need_mem: int, current: str) -> str | None:
    """The smallest known machine type (same family first) whose allocatable fits the pod."""
    from kfwizard.gcp.machine_types import MACHINE_TYPES, allocatable

    family = current.split("-", 1)[0] if current else "e2"
    fits = []
    for mt in MACHINE_TYPES.values():
        cpu, mem_mib = allocatable(mt)
        if cpu >= need_cpu * 1.2 and mem_mib * 2**20 >= need_mem * 1.2 and "micro" not in mt.name:
            fits.append((mt.family != family, mt.hourly_usd, mt.name))
    return min(fits)[2] if fits else None
