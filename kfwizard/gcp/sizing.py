"""Will the requested node pool hold the chosen deployment, and what will it cost?

People could not judge size or cost before creating a cluster (design.md); pods then sat
Pending for lack of CPU (pain point P3). Before creating anything the wizard shows the
node pool's total and allocatable CPU and memory against what the mode needs, plus an
hourly and monthly estimate with the price table's date and source.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kfwizard.gcp import machine_types

GIB = 1024

# What each mode's pods request at minimum, used while the manifests catalog gives none
# (kubeflow/manifests README: KFP ~1 CPU / 3.5 GiB; full Kubeflow ~4.4 CPU / 12.3 GiB).
FALLBACK_NEEDS: dict[str, tuple[int, int]] = {
    "kfp-standalone": (1000, int(3.5 * GIB)),
    "kfp-gcp": (1000, int(3.5 * GIB)),
    "kubeflow": (4400, int(12.3 * GIB)),
}

# GKE's own pods (kube-dns, metrics agents, CSI drivers...) also request resources on
# every node; a rough allowance keeps the comparison honest.
SYSTEM_CPU_M_PER_NODE = 200
SYSTEM_MEM_MIB_PER_NODE = 300

# The smallest pool the wizard is comfortable with (Marketplace used 3 x 2 vCPU nodes).
RECOMMENDED_NODES = 3
RECOMMENDED_MACHINE = "e2-standard-2"
MEMORY_TOLERANCE = 0.9
"""n1-standard-2 (7.5 GiB) counts as as big as e2-standard-2 (8 GiB)."""


def _from_versions(mode: str, version: str | None, env: str | None) -> tuple[int, int] | None:
    """Summed container requests of the rendered manifests (``manifests.versions``)."""
    try:
        from kfwizard.manifests import versions
    except ImportError:
        return None
    if mode == "kubeflow":
        need = getattr(versions, "KUBEFLOW_REQUESTS_WITH_SIDECARS", None)
        return tuple(need) if need else None  # type: ignore[return-value]
    table = getattr(versions, "KFP_REQUESTS", {})
    nearest = getattr(versions, "KFP_REQUESTS_NEAREST", {})
    by_env = table.get(version or "") or table.get(nearest.get(version or "", ""))
    if not by_env:
        return None
    return by_env.get(env or "platform-agnostic") or by_env.get("platform-agnostic")


def mode_needs(
    mode: str, version: str | None = None, env: str | None = None
) -> tuple[int, int, str]:
    """``(cpu_millicores, memory_mib, source)`` the mode's pods need at minimum.

    The manifests' own request sums are preferred (they know the version); a pod
    without requests still uses something, so the README minimums act as a floor.
    """
    try:
        from kfwizard.manifests import catalog
    except ImportError:
        catalog = None  # type: ignore[assignment]
    lookup = getattr(catalog, "resource_needs", None) if catalog is not None else None
    if lookup is not None:
        try:
            need = lookup(mode)
        except (KeyError, ValueError):
            need = None
        if need is not None:
            cpu = getattr(need, "cpu_m", None) or (need[0] if isinstance(need, tuple) else None)
            mem = getattr(need, "memory_mib", None) or (
                need[1] if isinstance(need, tuple) else None
            )
            if cpu and mem:
                return int(cpu), int(mem), "manifests catalog"
    cpu, mem = FALLBACK_NEEDS.get(mode, FALLBACK_NEEDS["kfp-standalone"])
    summed = _from_versions(mode, version, env)
    if summed is not None and (summed[0] > cpu or summed[1] > mem):
        what = f"{mode} {version or ''} {env or ''}".replace("  ", " ").strip()
        return max(cpu, summed[0]), max(mem, summed[1]), f"requests of the {what} manifests"
    return cpu, mem, "kubeflow/manifests README minimums"


@dataclass
class Sizing:
    """The requested node pool against the mode's needs; JSON-able via :meth:`as_dict`."""

    machine_type: str
    nodes: int
    mode: str
    known: bool
    vcpus: float = 0.0
    memory_gib: float = 0.0
    allocatable_cpu_m: int = 0
    allocatable_mem_mib: int = 0
    usable_cpu_m: int = 0
    usable_mem_mib: int = 0
    need_cpu_m: int = 0
    need_mem_mib: int = 0
    need_source: str = ""
    fits: bool | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        if not self.known:
            return list(self.warnings)
        out = [
            f"node pool: {self.nodes} x {self.machine_type} = {self.vcpus:g} vCPU, "
            f"{self.memory_gib:g} GiB",
            f"allocatable for pods: {self.allocatable_cpu_m / 1000:.2f} CPU, "
            f"{self.allocatable_mem_mib / GIB:.1f} GiB (after GKE's reservations); "
            f"about {self.usable_cpu_m / 1000:.2f} CPU, {self.usable_mem_mib / GIB:.1f} GiB "
            "after GKE's system pods",
            f"{self.mode} needs at least {self.need_cpu_m / 1000:.1f} CPU, "
            f"{self.need_mem_mib / GIB:.1f} GiB ({self.need_source})",
        ]
        return out + list(self.warnings)


def size_node_pool(
    machine_type: str, nodes: int, mode: str, version: str | None = None, env: str | None = None
) -> Sizing:
    """Compare ``nodes`` x ``machine_type`` with what ``mode`` (at ``version``/``env``) needs."""
    machine = machine_types.get_machine_type(machine_type)
    if machine is None:
        return Sizing(
            machine_type,
            nodes,
            mode,
            known=False,
            warnings=[
                f"kfwizard has no size data for {machine_type}: it cannot check the nodes are "
                "big enough for this mode"
            ],
        )
    cpu_m, mem_mib = machine_types.allocatable(machine)
    need_cpu, need_mem, source = mode_needs(mode, version, env)
    sizing = Sizing(
        machine_type,
        nodes,
        mode,
        known=True,
        vcpus=machine.vcpus * nodes,
        memory_gib=machine.memory_gib * nodes,
        allocatable_cpu_m=cpu_m * nodes,
        allocatable_mem_mib=mem_mib * nodes,
        usable_cpu_m=max(0, (cpu_m - SYSTEM_CPU_M_PER_NODE) * nodes),
        usable_mem_mib=max(0, (mem_mib - SYSTEM_MEM_MIB_PER_NODE) * nodes),
        need_cpu_m=need_cpu,
        need_mem_mib=need_mem,
        need_source=source,
    )
    sizing.fits = sizing.usable_cpu_m >= need_cpu and sizing.usable_mem_mib >= need_mem
    if not sizing.fits:
        sizing.warnings.append(
            f"too small: {mode} needs {need_cpu / 1000:.1f} CPU and {need_mem / GIB:.1f} GiB for "
            f"its pods, the pool leaves about {sizing.usable_cpu_m / 1000:.2f} CPU and "
            f"{sizing.usable_mem_mib / GIB:.1f} GiB; pods would stay Pending. Choose a bigger "
            "machine type or more nodes."
        )
    reference = machine_types.get_machine_type(RECOMMENDED_MACHINE)
    assert reference is not None
    min_cpu = reference.vcpus * RECOMMENDED_NODES
    min_mem = reference.memory_gib * RECOMMENDED_NODES * MEMORY_TOLERANCE
    if sizing.vcpus < min_cpu or sizing.memory_gib < min_mem:
        sizing.warnings.append(
            f"smaller than the recommended minimum of {RECOMMENDED_NODES} x {RECOMMENDED_MACHINE} "
            f"({min_cpu:g} vCPU, {reference.memory_gib * RECOMMENDED_NODES:g} GiB); the install "
            "may be slow or not fit once pipelines run"
        )
    return sizing


def cost_summary(machine_type: str, nodes: int) -> dict[str, Any] | None:
    """Hourly and monthly estimate with the table's date and source; None if unknown."""
    estimate = machine_types.estimate_cost(machine_type, nodes)
    if estimate is None:
        return None
    return {
        "machine_type": machine_type,
        "nodes": nodes,
        "hourly_usd": estimate.hourly_usd,
        "monthly_usd": estimate.monthly_usd,
        "as_of": machine_types.PRICES_AS_OF,
        "source": machine_types.PRICES_SOURCE,
        "note": estimate.note,
    }


def cost_line(cost: dict[str, Any]) -> str:
    return (
        f"estimated cost: ${cost['hourly_usd']:.2f}/hour, about ${cost['monthly_usd']:.0f}/month "
        f"if left running ({cost['note']})"
    )
