"""Server-side printing: the ``meta.k8s.io/v1 Table`` that ``kubectl get`` asks for.

Why: without it kubectl falls back to NAME/AGE columns, and a person trying the demo
with ``kubectl get pods -n kubeflow`` should see READY/STATUS/RESTARTS as on GKE. The
common kinds have their real columns; custom resources use their CRD's
``additionalPrinterColumns``; everything else gets Name and Age.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from typing import Any

from kfwizard.emulator.kube.discovery import ResourceType
from kfwizard.emulator.kube.store import Obj, meta

Column = tuple[str, str, int, Callable[[Obj], Any]]  # (name, type, priority, value)


def human_duration(seconds: float) -> str:
    """kubectl's HumanDuration (``45s``, ``2m30s``, ``5h12m``, ``3d``)."""
    s = int(max(seconds, 0))
    minutes, hours = s // 60, s // 3600
    if s < 120:
        return f"{s}s"
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    return f"{hours // (24 * 365)}y"


def _age(obj: Obj) -> str:
    stamp = meta(obj).get("creationTimestamp")
    if not stamp:
        return "<unknown>"
    try:
        born = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return "<unknown>"
    return human_duration(time.time() - born)


def pod_status_text(pod: Obj) -> str:
    status = pod.get("status") or {}
    if meta(pod).get("deletionTimestamp"):
        return "Terminating"
    reason = status.get("reason") or status.get("phase", "Unknown")
    for entry in status.get("initContainerStatuses") or []:
        waiting = (entry.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason") not in ("PodInitializing",):
            return f"Init:{waiting.get('reason')}"
    for entry in status.get("containerStatuses") or []:
        state = entry.get("state") or {}
        if state.get("waiting") and state["waiting"].get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated") and state["terminated"].get("reason"):
            reason = state["terminated"]["reason"]
    return str(reason)


def _pod_ready(pod: Obj) -> str:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    total = len((pod.get("spec") or {}).get("containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def _restarts(pod: Obj) -> int:
    return sum(
        int(s.get("restartCount") or 0)
        for s in (pod.get("status") or {}).get("containerStatuses") or []
    )


def _ports(svc: Obj) -> str:
    ports = (svc.get("spec") or {}).get("ports") or []
    return ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in ports) or "<none>"


def _get(obj: Obj, path: str) -> Any:
    node: Any = obj
    for part in path.strip(".").split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _cond_status(obj: Obj, ctype: str) -> str:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype:
            return str(cond.get("status"))
    return ""


_COLUMNS: dict[tuple[str, str], list[Column]] = {
    ("", "pods"): [
        ("Ready", "string", 0, _pod_ready),
        ("Status", "string", 0, pod_status_text),
        ("Restarts", "string", 0, lambda o: str(_restarts(o))),
        ("Age", "string", 0, _age),
        ("IP", "string", 1, lambda o: (o.get("status") or {}).get("podIP") or "<none>"),
        ("Node", "string", 1, lambda o: (o.get("spec") or {}).get("nodeName") or "<none>"),
    ],
    ("apps", "deployments"): [
        (
            "Ready",
            "string",
            0,
            lambda o: f"{_get(o, 'status.readyReplicas') or 0}/{_get(o, 'spec.replicas') or 0}",
        ),
        ("Up-to-date", "integer", 0, lambda o: _get(o, "status.updatedReplicas") or 0),
        ("Available", "integer", 0, lambda o: _get(o, "status.availableReplicas") or 0),
        ("Age", "string", 0, _age),
    ],
    ("apps", "replicasets"): [
        ("Desired", "integer", 0, lambda o: _get(o, "spec.replicas") or 0),
        ("Current", "integer", 0, lambda o: _get(o, "status.replicas") or 0),
        ("Ready", "integer", 0, lambda o: _get(o, "status.readyReplicas") or 0),
        ("Age", "string", 0, _age),
    ],
    ("apps", "statefulsets"): [
        (
            "Ready",
            "string",
            0,
            lambda o: f"{_get(o, 'status.readyReplicas') or 0}/{_get(o, 'spec.replicas') or 0}",
        ),
        ("Age", "string", 0, _age),
    ],
    ("apps", "daemonsets"): [
        ("Desired", "integer", 0, lambda o: _get(o, "status.desiredNumberScheduled") or 0),
        ("Current", "integer", 0, lambda o: _get(o, "status.currentNumberScheduled") or 0),
        ("Ready", "integer", 0, lambda o: _get(o, "status.numberReady") or 0),
        ("Up-to-date", "integer", 0, lambda o: _get(o, "status.updatedNumberScheduled") or 0),
        ("Available", "integer", 0, lambda o: _get(o, "status.numberAvailable") or 0),
        ("Age", "string", 0, _age),
    ],
    ("", "services"): [
        ("Type", "string", 0, lambda o: _get(o, "spec.type") or "ClusterIP"),
        ("Cluster-IP", "string", 0, lambda o: _get(o, "spec.clusterIP") or "<none>"),
        ("External-IP", "string", 0, lambda o: "<none>"),
        ("Port(s)", "string", 0, _ports),
        ("Age", "string", 0, _age),
    ],
    ("", "nodes"): [
        (
            "Status",
            "string",
            0,
            lambda o: "Ready" if _cond_status(o, "Ready") == "True" else "NotReady",
        ),
        ("Roles", "string", 0, lambda o: "<none>"),
        ("Age", "string", 0, _age),
        ("Version", "string", 0, lambda o: _get(o, "status.nodeInfo.kubeletVersion") or ""),
    ],
    ("", "namespaces"): [
        ("Status", "string", 0, lambda o: _get(o, "status.phase") or "Active"),
        ("Age", "string", 0, _age),
    ],
    ("", "persistentvolumeclaims"): [
        ("Status", "string", 0, lambda o: _get(o, "status.phase") or "Pending"),
        ("Volume", "string", 0, lambda o: _get(o, "spec.volumeName") or ""),
        ("Capacity", "string", 0, lambda o: _get(o, "status.capacity.storage") or ""),
        (
            "Access Modes",
            "string",
            0,
            lambda o: ",".join(
                {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX"}.get(m, m)
                for m in _get(o, "status.accessModes") or []
            ),
        ),
        ("StorageClass", "string", 0, lambda o: _get(o, "spec.storageClassName") or "<unset>"),
        ("Age", "string", 0, _age),
    ],
    ("", "configmaps"): [
        ("Data", "integer", 0, lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
        ("Age", "string", 0, _age),
    ],
    ("", "secrets"): [
        ("Type", "string", 0, lambda o: o.get("type", "Opaque")),
        ("Data", "integer", 0, lambda o: len(o.get("data") or {})),
        ("Age", "string", 0, _age),
    ],
    ("", "events"): [
        (
            "Last Seen",
            "string",
            0,
            lambda o: _age({"metadata": {"creationTimestamp": o.get("lastTimestamp")}}),
        ),
        ("Type", "string", 0, lambda o: o.get("type", "")),
        ("Reason", "string", 0, lambda o: o.get("reason", "")),
        (
            "Object",
            "string",
            0,
            lambda o: (
                f"{str(_get(o, 'involvedObject.kind') or '').lower()}/"
                f"{_get(o, 'involvedObject.name') or ''}"
            ),
        ),
        ("Message", "string", 0, lambda o: o.get("message", "")),
    ],
    ("apiextensions.k8s.io", "customresourcedefinitions"): [
        ("Created At", "date", 0, lambda o: meta(o).get("creationTimestamp", "")),
    ],
    ("storage.k8s.io", "storageclasses"): [
        ("Provisioner", "string", 0, lambda o: o.get("provisioner", "")),
        ("ReclaimPolicy", "string", 0, lambda o: o.get("reclaimPolicy", "")),
        ("VolumeBindingMode", "string", 0, lambda o: o.get("volumeBindingMode", "")),
        (
            "AllowVolumeExpansion",
            "string",
            0,
            lambda o: str(bool(o.get("allowVolumeExpansion"))).lower(),
        ),
        ("Age", "string", 0, _age),
    ],
    ("batch", "jobs"): [
        (
            "Status",
            "string",
            0,
            lambda o: (
                "Complete"
                if _cond_status(o, "Complete") == "True"
                else ("Failed" if _cond_status(o, "Failed") == "True" else "Running")
            ),
        ),
        (
            "Completions",
            "string",
            0,
            lambda o: f"{_get(o, 'status.succeeded') or 0}/{_get(o, 'spec.completions') or 1}",
        ),
        ("Age", "string", 0, _age),
    ],
}


def _path_getter(path: str) -> Callable[[Obj], Any]:
    return lambda obj: _get(obj, path)


def _columns(rt: ResourceType) -> list[Column]:
    if rt.key in _COLUMNS:
        return _COLUMNS[rt.key]
    if rt.printer_columns:
        cols: list[Column] = []
        for col in rt.printer_columns:
            path = str(col.get("jsonPath", ""))
            if path == ".metadata.creationTimestamp":
                cols.append(
                    (str(col.get("name", "Age")), "string", int(col.get("priority", 0)), _age)
                )
            else:
                cols.append(
                    (
                        str(col.get("name", "")),
                        str(col.get("type", "string")),
                        int(col.get("priority", 0)),
                        _path_getter(path),
                    )
                )
        if not any(c[0] == "Age" for c in cols):
            cols.append(("Age", "date", 0, _age))
        return cols
    return [("Age", "string", 0, _age)]


def to_table(
    rt: ResourceType, items: list[Obj], list_meta: dict[str, Any], include: str | None
) -> dict[str, Any]:
    columns = [("Name", "string", 0, lambda o: meta(o).get("name", "")), *_columns(rt)]
    definitions = [
        {
            "name": name,
            "type": ctype,
            "format": "name" if name == "Name" else "",
            "description": name,
            "priority": prio,
        }
        for name, ctype, prio, _ in columns
    ]
    rows = []
    for obj in items:
        row: dict[str, Any] = {"cells": [fn(obj) for _, _, _, fn in columns]}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": meta(obj),
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": definitions,
        "rows": rows,
    }
