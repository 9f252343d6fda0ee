"""Compute Engine machine shapes kfwizard knows: vCPUs, memory, what GKE leaves allocatable,
and the on-demand price.

Prices: Compute Engine on-demand list prices for us-central1 (Iowa), in USD per hour,
from the public Compute Engine pricing page as of 2026-06; other regions cost up to ~30%
more. GKE adds a cluster management fee of USD 0.10 per cluster per hour (one zonal or
Autopilot cluster per billing account is covered by the free tier credit). The estimate
is a guide, not a quote: disks, network egress and load balancers are extra.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2026-06"
PRICES_SOURCE = (
    "Compute Engine on-demand list prices, us-central1 (cloud.google.com/compute/all-pricing)"
)
GKE_CLUSTER_FEE_PER_HOUR = 0.10
HOURS_PER_MONTH = 730


@dataclass(frozen=True)
class MachineType:
    name: str
    vcpus: float
    memory_gib: float
    hourly_usd: float

    @property
    def family(self) -> str:
        return self.name.split("-", 1)[0]


def _mt(name: str, vcpus: float, memory_gib: float, hourly: float) -> tuple[str, MachineType]:
    return name, MachineType(name, vcpus, memory_gib, hourly)


MACHINE_TYPES: dict[str, MachineType] = dict(
    [
        _mt("e2-micro", 2, 1, 0.008376),
        _mt("e2-small", 2, 2, 0.016751),
        _mt("e2-medium", 2, 4, 0.033503),
        _mt("e2-standard-2", 2, 8, 0.067006),
        _mt("e2-standard-4", 4, 16, 0.134012),
        _mt("e2-standard-8", 8, 32, 0.268024),
        _mt("e2-standard-16", 16, 64, 0.536048),
        _mt("e2-highmem-2", 2, 16, 0.090387),
        _mt("e2-highmem-4", 4, 32, 0.180774),
        _mt("e2-highmem-8", 8, 64, 0.361548),
        _mt("e2-highmem-16", 16, 128, 0.723096),
        _mt("n1-standard-1", 1, 3.75, 0.0475),
        _mt("n1-standard-2", 2, 7.5, 0.0950),
        _mt("n1-standard-4", 4, 15, 0.1900),
        _mt("n1-standard-8", 8, 30, 0.3800),
        _mt("n1-standard-16", 16, 60, 0.7600),
        _mt("n1-highmem-2", 2, 13, 0.1184),
        _mt("n1-highmem-4", 4, 26, 0.2368),
        _mt("n1-highmem-8", 8, 52, 0.4736),
        _mt("n1-highmem-16", 16, 104, 0.9472),
        _mt("n2-standard-2", 2, 8, 0.097118),
        _mt("n2-standard-4", 4, 16, 0.194236),
        _mt("n2-standard-8", 8, 32, 0.388472),
        _mt("n2-standard-16", 16, 64, 0.776944),
        _mt("n2-highmem-2", 2, 16, 0.131004),
        _mt("n2-highmem-4", 4, 32, 0.262008),
        _mt("n2-highmem-8", 8, 64, 0.524016),
        _mt("n2-highmem-16", 16, 128, 1.048032),
    ]
)


def get_machine_type(name: str) -> MachineType | None:
    return MACHINE_TYPES.get(name)


def allocatable(machine: MachineType) -> tuple[int, int]:
    """What GKE leaves for pods on one node: (CPU millicores, memory MiB).

    GKE reserves CPU (6% of the first core, 1% of the next, 0.5% of the next two, 0.25%
    above) and memory (25% of the first 4 GiB, 20% of the next 4, 10% of the next 8,
    6% of the next 112, 2% above; plus 100 MiB for eviction), as documented for Standard
    clusters. Shared-core shapes (e2-micro/small/medium) get what a 2-vCPU node has, with
    the kube-reserved share taken from their memory.
    """
    cpu_m = int(machine.vcpus * 1000)
    reserved_cpu = 0.0
    counted = 0.0
    for cores, share in ((1, 0.06), (1, 0.01), (2, 0.005), (float("inf"), 0.0025)):
        take = max(0.0, min(cores, machine.vcpus - counted))
        reserved_cpu += take * share * 1000
        counted += take
    if machine.name in ("e2-micro", "e2-small", "e2-medium"):
        # shared-core: a fraction of two vCPUs is usable
        cpu_m = {"e2-micro": 250, "e2-small": 500, "e2-medium": 1000}[machine.name]
        reserved_cpu = 60
    mem_mib = machine.memory_gib * 1024
    reserved_mem = 0.0
    remaining = mem_mib
    for size_gib, share in ((4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06)):
        chunk = min(remaining, size_gib * 1024)
        reserved_mem += chunk * share
        remaining -= chunk
        if remaining <= 0:
            break
    if remaining > 0:
        reserved_mem += remaining * 0.02
    reserved_mem += 100
    return int(cpu_m - reserved_cpu), int(mem_mib - reserved_mem)


@dataclass(frozen=True)
class CostEstimate:
    nodes: int
    machine: MachineType
    hourly_usd: float
    monthly_usd: float
    note: str


def estimate_cost(machine_type: str, nodes: int, clusters_fee: bool = True) -> CostEstimate | None:
    """Hourly and monthly (730 h) on-demand cost of a cluster's nodes plus the GKE fee."""
    machine = get_machine_type(machine_type)
    if machine is None:
        return None
    hourly = machine.hourly_usd * nodes + (GKE_CLUSTER_FEE_PER_HOUR if clusters_fee else 0.0)
    note = (
        f"{nodes} x {machine.name} at ${machine.hourly_usd:.4f}/h + GKE fee "
        f"${GKE_CLUSTER_FEE_PER_HOUR:.2f}/h; {PRICES_SOURCE}, as of {PRICES_AS_OF}. "
        "Disks and egress are extra."
    )
    return CostEstimate(nodes, machine, round(hourly, 4), round(hourly * HOURS_PER_MONTH, 2), note)
