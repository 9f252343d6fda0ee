"""Kubernetes resource quantities (``100m``, ``800Mi``, ``1.5``) as numbers and back.

CPU is kept in millicores and memory in bytes, as integers, so sums and comparisons of
requests against allocatable space are exact; the text forms are what a user reads in
``kubectl describe node``.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_RE = re.compile(r"^\s*([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")


def parse_quantity(text: object) -> Decimal:
    """A quantity in base units (cores, bytes); raises ValueError on nonsense."""
    if isinstance(text, (int, float)):
        return Decimal(str(text))
    match = _RE.match(str(text))
    if not match:
        raise ValueError(f"not a quantity: {text!r}")
    number, suffix = match.groups()
    try:
        value = Decimal(number)
    except InvalidOperation as exc:
        raise ValueError(f"not a quantity: {text!r}") from exc
    if suffix in _BINARY:
        return value * _BINARY[suffix]
    if suffix in _DECIMAL:
        return value * _DECIMAL[suffix]
    raise ValueError(f"unknown quantity suffix in {text!r}")


def cpu_millis(text: object) -> int:
    """CPU in millicores (``"250m"`` → 250, ``"2"`` → 2000); rounds up like the scheduler."""
    return math.ceil(parse_quantity(text) * 1000)


def memory_bytes(text: object) -> int:
    """Memory in bytes (``"800Mi"`` → 838860800)."""
    return math.ceil(parse_quantity(text))


def format_cpu(millis: int) -> str:
    """``250`` → ``"250m"``; whole cores (and none) as ``"2 CPU"``; large values as
    ``"1.5 CPU"``."""
    if millis % 1000 == 0:
        return f"{millis // 1000} CPU"
    if abs(millis) >= 1000:
        return f"{millis / 1000:.2f}".rstrip("0").rstrip(".") + " CPU"
    return f"{millis}m CPU"


def format_memory(num_bytes: int) -> str:
    """Bytes as ``"800Mi"`` or ``"3.1Gi"`` (binary units, as Kubernetes shows them)."""
    if abs(num_bytes) >= 2**30:
        return f"{num_bytes / 2**30:.1f}".rstrip("0").rstrip(".") + "Gi"
    return f"{math.ceil(num_bytes / 2**20)}Mi"


def pod_requests(pod_spec: dict) -> tuple[int, int]:
    """What the scheduler reserves for a pod: (CPU millicores, memory bytes).

    That is the larger of the sum over the app containers and the largest single init
    container (init containers run one at a time; limits stand in for missing
    requests), as in the scheduler's
    ``computePodResourceRequest`` (sidecar init containers are counted with the app).
    """

    def req(container: dict) -> tuple[int, int]:
        resources = container.get("resources") or {}
        # A container with only limits gets requests equal to its limits.
        given = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
        cpu = cpu_millis(given["cpu"]) if "cpu" in given else 0
        mem = memory_bytes(given["memory"]) if "memory" in given else 0
        return cpu, mem

    cpu = mem = 0
    sidecar_cpu = sidecar_mem = 0
    init_cpu = init_mem = 0
    for container in pod_spec.get("initContainers") or []:
        c_cpu, c_mem = req(container)
        if container.get("restartPolicy") == "Always":
            sidecar_cpu += c_cpu
            sidecar_mem += c_mem
        else:
            init_cpu = max(init_cpu, c_cpu + sidecar_cpu)
            init_mem = max(init_mem, c_mem + sidecar_mem)
    for container in pod_spec.get("containers") or []:
        c_cpu, c_mem = req(container)
        cpu += c_cpu
        mem += c_mem
    return max(cpu + sidecar_cpu, init_cpu), max(mem + sidecar_mem, init_mem)
