"""Nodes: what the caller asks for (:class:`NodeSpec`) and the Node object GKE would show.

Allocatable comes from the spec (``NodeSpec.for_machine`` uses GKE's reservation table in
``gcp.machine_types.allocatable``), because capacity is what decides whether an install
schedules. Labels are the ones GKE sets and installers select on (arch, os, node pool,
instance type, zone, region).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from kfwizard.emulator.kube.registry import now_rfc3339
from kfwizard.gcp.machine_types import allocatable, get_machine_type

KUBELET_PORT = 10250


@dataclass(frozen=True)
class NodeSpec:
    name: str
    cpu_millis: int
    memory_mib: int
    pool: str = "default-pool"
    machine_type: str = "n1-standard-2"
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_machine(
        cls, machine_type: str, count: int, pool: str = "default-pool", cluster: str | None = None
    ) -> list[NodeSpec]:
        """``count`` nodes of a machine type, named like GKE names them
        (``gke-<cluster>-<pool>-<8 hex>-<4 chars>``)."""
        machine = get_machine_type(machine_type)
        if machine is None:
            raise ValueError(f"unknown machine type {machine_type!r}")
        cpu, mem = allocatable(machine)
        prefix = f"gke-{cluster}-{pool}" if cluster else f"gke-{pool}"
        group = hashlib.sha256(f"{cluster}/{pool}/{machine_type}".encode()).hexdigest()[:8]
        nodes = []
        for index in range(count):
            suffix = hashlib.sha256(f"{group}/{index}".encode()).hexdigest()
            letters = "".join(
                "abcdefghijklmnopqrstuvwxyz0123456789"[int(suffix[i : i + 2], 16) % 36]
                for i in range(0, 8, 2)
            )
            nodes.append(cls(f"{prefix}-{group}-{letters}", cpu, mem, pool, machine_type))
        return nodes

    def capacity(self) -> tuple[int, int]:
        """The machine's full (CPU millicores, memory MiB); allocatable if unknown."""
        machine = get_machine_type(self.machine_type)
        if machine is None:
            return self.cpu_millis, self.memory_mib
        return int(machine.vcpus * 1000), int(machine.memory_gib * 1024)


def _uuid(hexdigits: str) -> str:
    h = hexdigits
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def node_object(
    spec: NodeSpec, index: int, version: str, zone: str, project: str
) -> dict[str, Any]:
    region = zone.rsplit("-", 1)[0]
    family = spec.machine_type.split("-", 1)[0]
    cap_cpu, cap_mem = spec.capacity()
    internal_ip = f"10.128.0.{10 + index}"
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": spec.machine_type,
        "beta.kubernetes.io/os": "linux",
        "cloud.google.com/gke-boot-disk": "pd-balanced",
        "cloud.google.com/gke-container-runtime": "containerd",
        "cloud.google.com/gke-nodepool": spec.pool,
        "cloud.google.com/gke-os-distribution": "cos",
        "cloud.google.com/machine-family": family,
        "failure-domain.beta.kubernetes.io/region": region,
        "failure-domain.beta.kubernetes.io/zone": zone,
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": spec.name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": spec.machine_type,
        "topology.gke.io/zone": zone,
        "topology.kubernetes.io/region": region,
        "topology.kubernetes.io/zone": zone,
        **spec.labels,
    }
    conditions = [
        (
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
    digest = hashlib.sha256(spec.name.encode()).hexdigest()
    now = now_rfc3339()
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": spec.name,
            "labels": labels,
            "annotations": {
                "container.googleapis.com/instance_id": str(int(digest[:15], 16)),
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {
            "podCIDR": f"10.{4 + index}.0.0/24",
            "podCIDRs": [f"10.{4 + index}.0.0/24"],
            "providerID": f"gce://{project}/{zone}/{spec.name}",
        },
        "status": {
            "capacity": {
                "cpu": str(cap_cpu // 1000) if cap_cpu % 1000 == 0 else f"{cap_cpu}m",
                "ephemeral-storage": "98831908Ki",
                "hugepages-2Mi": "0",
                "memory": f"{cap_mem * 1024}Ki",
                "pods": "110",
            },
            "allocatable": {
                "cpu": f"{spec.cpu_millis}m",
                "ephemeral-storage": "47060071478",
                "hugepages-2Mi": "0",
                "memory": f"{spec.memory_mib * 1024}Ki",
                "pods": "110",
            },
            "conditions": [
                {
                    "type": t,
                    "status": s,
                    "reason": r,
                    "message": m,
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": now,
                }
                for t, s, r, m in conditions
            ],
            "addresses": [
                {"type": "InternalIP", "address": internal_ip},
                {"type": "ExternalIP", "address": f"34.72.{index // 250}.{10 + index % 240}"},
                {"type": "Hostname", "address": spec.name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": KUBELET_PORT}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": _uuid(digest),
                "containerRuntimeVersion": "containerd://1.7.27",
                "kernelVersion": "6.6.87+",
                "kubeProxyVersion": f"v{version}",
                "kubeletVersion": f"v{version}",
                "machineID": digest[:32],
                "operatingSystem": "linux",
                "osImage": "Container-Optimized OS from Google",
                "systemUUID": _uuid(digest[32:]),
            },
        },
    }
