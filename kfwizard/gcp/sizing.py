"""Will the requested node pool hold the chosen deployment, and what will it cost?

People could not judge size or cost before creating a cluster (design.md); pods then sat
Pending for lack of CPU (pain point P3). Before creating anything the wizard shows the
node pool's total and allocatable CPU and memory against what the mode needs, plus an
hourly and monthly estimate with the price table's date and source.

What a mode needs comes from the manifests catalog (``catalog.resource_needs``: the
summed requests of the rendered release, and the smallest pool the wizard accepts); the
small table here is only used if the catalog cannot answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kfwizard.gcp import machine_types

GIB = 1024

# GKE's own pods (kube-dns, metrics agents, CSI drivers...) also request resources on
# every node; a rough allowance keeps the comparison honest.
SYSTEM_CPU_M_PER_NODE = 200
SYSTEM_MEM_MIB_PER_NODE = 300

MEMORY_TOLERANCE = 0.9
"""n1-standard-2 (7.5 GiB) counts as big as e2-standard-2 (8 GiB) for the floor."""


@dataclass(frozen=True)
class Needs:
    """What a mode's pods request, and the smallest pool the wizard is comfortable with."""

    cpu_m: int
    memory_mib: int
    source: str
    min_allocatable_cpu_m: int
    min_allocatable_memory_mib: int
    recommended_nodes: int
    recommended_machine: str


# kubeflow/manifests README: KFP ~1 CPU / 3.5 GiB; full Kubeflow ~4.4 CPU / 12.3 GiB;
# floors: 3 x e2-standard-2 for KFP (the v1 docs' cluster), 3 x e2-standard-4 for Kubeflow.
FALLBACK_NEEDS: dict[str, Needs] = {
    "kfp-standalone": Needs(
        1000, 3584, "kubeflow/manifests README", 2000, 6144, 3, "e2-standard-2"
    ),
    "kfp-gcp": Needs(1000, 3584, "kubeflow/manifests README", 2000, 6144, 3, "e2-standard-2"),
    "kubeflow": Needs(4400, 12595, "kubeflow/manifests README", 8000, 16384, 3, "e2-standard-4"),
}


def mode_needs(mode: str, version: str | None = None, env: str | None = None) -> Needs:
    """What ``mode`` (at ``version``/``env``) needs: the catalog's answer, else the table."""
    try:
        from kfwizard.manifests import catalog

        need = catalog.resource_needs(mode, version, env)
        return Needs(
            int(need.cpu_m),
            int(need.memory_mib),
            str(need.source),
            int(need.min_allocatable_cpu_m),
            int(need.min_allocatable_memory_mib),
            int(need.recommended_nodes),
            str(need.recommended_machine),
        )
    except (ImportError, AttributeError, KeyError, ValueError, TypeError):
        return FALLBACK_NEEDS.get(mode, FALLBACK_NEEDS["kfp-standalone"])


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
        """What the log shows; warning lines start with ``warning:``."""
        if not self.known:
            return [f"warning: {w}" for w in self.warnings]
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
        return out + [f"warning: {w}" for w in self.warnings]


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
    needs = mode_needs(mode, version, env)
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
        need_cpu_m=needs.cpu_m,
        need_mem_mib=needs.memory_mib,
        need_source=needs.source,
    )
    sizing.fits = sizing.usable_cpu_m >= needs.cpu_m and sizing.usable_mem_mib >= needs.memory_mib
    if not sizing.fits:
        sizing.warnings.append(
            f"too small: {mode} needs {needs.cpu_m / 1000:.1f} CPU and "
            f"{needs.memory_mib / GIB:.1f} GiB for its pods, the pool leaves about "
            f"{sizing.usable_cpu_m / 1000:.2f} CPU and {sizing.usable_mem_mib / GIB:.1f} GiB; "
            "pods would stay Pending. Choose a bigger machine type or more nodes."
        )
    elif (
        sizing.allocatable_cpu_m < needs.min_allocatable_cpu_m
        or sizing.allocatable_mem_mib < needs.min_allocatable_memory_mib
    ):
        sizing.warnings.append(
            f"tight: {mode} should have at least {needs.min_allocatable_cpu_m / 1000:g} CPU and "
            f"{needs.min_allocatable_memory_mib / GIB:g} GiB allocatable so pipeline runs have "
            "room next to the install"
        )
    reference = machine_types.get_machine_type(needs.recommended_machine)
    if reference is not None:
        min_cpu = reference.vcpus * needs.recommended_nodes
        min_mem = reference.memory_gib * needs.recommended_nodes
        if sizing.vcpus < min_cpu or sizing.memory_gib < min_mem * MEMORY_TOLERANCE:
            sizing.warnings.append(
                f"smaller than the recommended {needs.recommended_nodes} x "
                f"{needs.recommended_machine} ({min_cpu:g} vCPU, {min_mem:g} GiB); the install "
                "may be slow or run out of room once pipelines run"
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


def hourly_price(machine_type: str, nodes: int) -> str:
    """ "about $0.39/hour" for ``nodes`` of ``machine_type`` (GKE fee included), or ""
    when the price table does not list the type: the short form a question quotes."""
    cost = cost_summary(machine_type, nodes)
    return f"about ${cost['hourly_usd']:.2f}/hour" if cost else ""


def cost_line(cost: dict[str, Any]) -> str:
    return (
        f"estimated cost: ${cost['hourly_usd']:.2f}/hour, about ${cost['monthly_usd']:.0f}/month "
        f"if left running ({cost['note']})"
    )
