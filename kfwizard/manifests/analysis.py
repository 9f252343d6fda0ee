"""Facts read from the objects themselves: requested CPU and memory, images, PVCs, the KFP
version the files really contain, and a time estimate.

People could not judge size before installing (design.md) and sometimes installed other
versions than they thought (an SDK-only tag installs the 1.7.0 backend; env/dev 2.14+
installs ``:master``); reading the files answers both before anything is applied.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from kfwizard.manifests.kinds import WORKLOAD_KINDS
from kfwizard.manifests.objects import Manifest
from kfwizard.manifests.tiers import Tier

_SUFFIX = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Z]{0,2})$")
MIB = 2**20


def parse_quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity (``100m``, ``1.5``, ``800Mi``, ``1e3``) as a number; None if bad."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value.strip())
    if not match or match.group(2) not in _SUFFIX:
        return None
    try:
        return Decimal(match.group(1)) * _SUFFIX[match.group(2)]
    except InvalidOperation:
        return None


def _pod_spec(m: Manifest) -> dict[str, Any]:
    spec = m.obj.get("spec") or {}
    template = spec.get("template") or {}
    pod = template.get("spec") if isinstance(template, dict) else None
    return pod if isinstance(pod, dict) else {}


def _replicas(m: Manifest) -> int:
    if m.kind == "DaemonSet":
        return 1  # one per node; counted once here and said so
    value = (m.obj.get("spec") or {}).get("replicas", 1)
    return value if isinstance(value, int) and value >= 0 else 1


def workloads(manifests: Iterable[Manifest]) -> Iterator[Manifest]:
    return (m for m in manifests if m.kind in WORKLOAD_KINDS and m.group == "apps")


@dataclass
class Requests:
    """Summed ``resources.requests`` of non-init containers x replicas."""

    cpu_m: int = 0
    memory_mib: int = 0
    workloads: int = 0
    without_requests: list[str] = field(default_factory=list)
    """Workloads none of whose containers request anything: real use is higher."""
    per_node: list[str] = field(default_factory=list)
    """DaemonSets, whose requests repeat on every node (counted once above)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def requests(manifests: Iterable[Manifest]) -> Requests:
    cpu = Decimal(0)
    memory = Decimal(0)
    out = Requests()
    for m in workloads(manifests):
        out.workloads += 1
        replicas = _replicas(m)
        asked = False
        for container in _pod_spec(m).get("containers") or []:
            wanted = ((container or {}).get("resources") or {}).get("requests") or {}
            c, mem = parse_quantity(wanted.get("cpu")), parse_quantity(wanted.get("memory"))
            if c is not None:
                cpu += c * replicas
                asked = True
            if mem is not None:
                memory += mem * replicas
                asked = True
        if not asked:
            out.without_requests.append(f"{m.namespace}/{m.name}")
        if m.kind == "DaemonSet":
            out.per_node.append(f"{m.namespace}/{m.name}")
    out.cpu_m = int((cpu * 1000).to_integral_value())
    out.memory_mib = math.ceil(memory / MIB)
    return out


def images(manifests: Iterable[Manifest]) -> list[str]:
    """Every container and init-container image, sorted and unique (for pull checks)."""
    found: set[str] = set()
    for m in workloads(manifests):
        pod = _pod_spec(m)
        for key in ("initContainers", "containers"):
            for container in pod.get(key) or []:
                image = (container or {}).get("image")
                if isinstance(image, str) and image:
                    found.add(image)
    return sorted(found)


def image_tag(image: str) -> str | None:
    """``ghcr.io/kubeflow/kfp-api-server:2.17.0`` -> ``2.17.0`` (None without a tag)."""
    ref = image.split("@", 1)[0]
    _name, sep, tag = ref.rpartition(":")
    return tag if sep and "/" not in tag else None


def pvcs(manifests: Iterable[Manifest]) -> list[dict[str, Any]]:
    found = []
    for m in manifests:
        if m.kind == "PersistentVolumeClaim" and m.group == "":
            spec = m.obj.get("spec") or {}
            size = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
            found.append(
                {
                    "namespace": m.namespace,
                    "name": m.name,
                    "size": size,
                    "storageClassName": spec.get("storageClassName"),
                }
            )
    return found


def detect_versions(manifests: Iterable[Manifest]) -> dict[str, str | None]:
    """The KFP version the files contain (kfp-manifests.md §1: ``appVersion`` in every
    version; the ml-pipeline image tag tells which images will really run)."""
    found: dict[str, str | None] = {
        "app_version": None,
        "public_version": None,
        "api_server_image": None,
        "api_server_tag": None,
    }
    for m in manifests:
        if m.kind == "ConfigMap" and m.group == "":
            data = m.obj.get("data") or {}
            if m.name == "pipeline-install-config" and data.get("appVersion") is not None:
                found["app_version"] = str(data["appVersion"])
            elif m.name == "kubeflow-pipelines-public" and data.get("kubeflow_pipelines_version"):
                found["public_version"] = str(data["kubeflow_pipelines_version"])
        elif m.kind == "Deployment" and m.name == "ml-pipeline":
            for container in _pod_spec(m).get("containers") or []:
                image = str((container or {}).get("image") or "")
                if "api-server" in image or not found["api_server_image"]:
                    found["api_server_image"] = image or None
            if found["api_server_image"]:
                found["api_server_tag"] = image_tag(found["api_server_image"])
    return found


# Seconds: server-side apply of one object, waiting for CRDs to be Established, and the
# rollout per mode (KFP docs: "about 3 minutes"; the platform's CI waits 180-600 s per
# component, so per workload tier a minute plus ten seconds a workload).
APPLY_SECONDS_PER_OBJECT = 0.05
CRD_WAIT_SECONDS = 10
KFP_ROLLOUT_SECONDS = 180


def time_estimate(mode: str, tiers: list[Tier], object_count: int) -> int:
    """A rough end-to-end install time for the plan (apply, waits, rollout)."""
    seconds = APPLY_SECONDS_PER_OBJECT * object_count
    seconds += CRD_WAIT_SECONDS * sum(1 for t in tiers if t.wait_crds)
    if mode == "kubeflow":
        seconds += sum(60 + 10 * len(t.wait_ready) for t in tiers if t.wait_ready)
        seconds += 30 * sum(1 for t in tiers if t.webhooks)
    else:
        seconds += KFP_ROLLOUT_SECONDS
    return math.ceil(seconds)
