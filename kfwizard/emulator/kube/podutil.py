"""Small pure helpers about pods, quantities and owners that several simulators share."""

from __future__ import annotations

import math
import re
from typing import Any

from kfwizard.emulator.kube.store import Obj, meta

_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")
_SUFFIX = {
    "": 1,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def quantity(value: Any) -> float:
    """A Kubernetes quantity ("100m", "1.5", "512Mi", "1G") as a plain number."""
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    match = _QUANTITY.match(str(value).strip())
    if not match or match.group(2) not in _SUFFIX:
        return 0.0
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def cpu_millis(value: Any) -> int:
    return math.ceil(quantity(value) * 1000 - 1e-9)


def mem_mib(value: Any) -> float:
    return quantity(value) / 2**20


def pod_requests(pod_spec: Obj) -> tuple[int, float]:
    """Effective (CPU millicores, memory MiB) requests, as the scheduler counts them:
    the sum over containers, or the largest init container if that is bigger."""

    def requests(container: Obj) -> tuple[int, float]:
        req = (container.get("resources") or {}).get("requests") or {}
        lim = (container.get("resources") or {}).get("limits") or {}
        return (
            cpu_millis(req.get("cpu", lim.get("cpu"))),
            mem_mib(req.get("memory", lim.get("memory"))),
        )

    cpu = mem = 0.0
    for container in pod_spec.get("containers") or []:
        c, m = requests(container)
        cpu += c
        mem += m
    for container in pod_spec.get("initContainers") or []:
        c, m = requests(container)
        cpu = max(cpu, c)
        mem = max(mem, m)
    return int(cpu), mem


def condition(obj: Obj, ctype: str) -> dict[str, Any] | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype:
            return cond
    return None


def is_ready(pod: Obj) -> bool:
    cond = condition(pod, "Ready")
    return (
        cond is not None
        and cond.get("status") == "True"
        and not meta(pod).get("deletionTimestamp")
        and (pod.get("status") or {}).get("phase") == "Running"
    )


def is_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def controller_ref(obj: Obj) -> dict[str, Any] | None:
    for ref in meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def image_tag(image: str) -> str:
    """``ghcr.io/kubeflow/kfp-api-server:2.17.0`` -> ``2.17.0`` ("latest" if untagged)."""
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def set_condition(
    conditions: list[dict[str, Any]],
    ctype: str,
    status: str,
    reason: str = "",
    message: str = "",
    now: str = "",
    extra: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Return ``conditions`` with ``ctype`` set.

    An unchanged condition is returned as is (so controllers converge instead of
    rewriting timestamps forever); ``lastTransitionTime`` moves only when the status
    flips, and ``extra`` (e.g. ``lastUpdateTime``) is applied only on a change.
    """
    out: list[dict[str, Any]] = []
    found = False
    for cond in conditions:
        if cond.get("type") != ctype:
            out.append(cond)
            continue
        found = True
        if (cond.get("status"), cond.get("reason", ""), cond.get("message", "")) == (
            status,
            reason,
            message,
        ):
            out.append(cond)
            continue
        new = dict(cond)
        if cond.get("status") != status:
            new["lastTransitionTime"] = now
        new["status"] = status
        for field, value in (("reason", reason), ("message", message)):
            if value:
                new[field] = value
            else:
                new.pop(field, None)
        new.update(extra or {})
        out.append(new)
    if not found:
        new = {"type": ctype, "status": status, "lastTransitionTime": now}
        if reason:
            new["reason"] = reason
        if message:
            new["message"] = message
        new.update(extra or {})
        out.append(new)
    return out
