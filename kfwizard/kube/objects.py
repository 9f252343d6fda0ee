"""Object references and fingerprints shared by apply, wait and teardown.

A reference is the inventory's shape, ``{apiVersion, kind, namespace, name}``; it is all
teardown needs to find an object again. A fingerprint (sha256 over canonical JSON) tells
a resumed run whether the rendered set it is about to apply is the one it applied before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
CRD_KIND = "CustomResourceDefinition"


def as_dict(item: Any) -> dict[str, Any]:
    """The object as the API's JSON dict: a plain dict, a ``manifests.Manifest`` (its
    ``.obj``), or a typed client model (``V1Deployment``: camelCase keys, as on the wire)."""
    obj = getattr(item, "obj", item)
    if isinstance(obj, dict):
        return obj
    if callable(getattr(obj, "to_dict", None)):
        from kubernetes.client import ApiClient

        # sanitize_for_serialization only uses class attributes and itself, so an
        # instance without __init__ (no configuration, no connection pool) serialises.
        data = ApiClient.__new__(ApiClient).sanitize_for_serialization(obj)
        if isinstance(data, dict):
            return data
    raise TypeError(f"not a Kubernetes object: {type(item).__name__}")


def ref_of(obj: dict[str, Any]) -> dict[str, str]:
    """The inventory reference of an object (namespace is ``""`` when cluster-scoped)."""
    meta = obj.get("metadata") or {}
    return {
        "apiVersion": str(obj.get("apiVersion", "")),
        "kind": str(obj.get("kind", "")),
        "namespace": str(meta.get("namespace") or ""),
        "name": str(meta.get("name", "")),
    }


def ref_key(ref: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        ref.get("apiVersion", ""),
        ref.get("kind", ""),
        ref.get("namespace") or "",
        ref.get("name", ""),
    )


def ref_text(ref: dict[str, Any]) -> str:
    """``Deployment kubeflow/ml-pipeline`` or ``CustomResourceDefinition workflows.argoproj.io``."""
    ns = ref.get("namespace") or ""
    return f"{ref.get('kind', '?')} {ns + '/' if ns else ''}{ref.get('name', '?')}"


def is_crd(obj: dict[str, Any]) -> bool:
    return obj.get("kind") == CRD_KIND and str(obj.get("apiVersion", "")).startswith(
        "apiextensions.k8s.io/"
    )


def crd_names(objects: Iterable[Any]) -> list[str]:
    """Names of the CRDs among ``objects``, in order."""
    return [ref_of(as_dict(o))["name"] for o in objects if is_crd(as_dict(o))]


def fingerprint(objects: Iterable[Any]) -> str:
    """sha256 of the objects as canonical JSON, order included (apply order matters)."""
    digest = hashlib.sha256()
    for item in objects:
        digest.update(
            json.dumps(as_dict(item), sort_keys=True, separators=(",", ":"), default=str).encode()
        )
        digest.update(b"\n")
    return digest.hexdigest()


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The status condition of type ``kind``, or None."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def condition_true(obj: dict[str, Any], kind: str) -> bool:
    cond = condition(obj, kind)
    return cond is not None and str(cond.get("status")) == "True"


def labels_match(selector: dict[str, Any] | None, labels: dict[str, Any] | None) -> bool:
    """Does a label selector (``matchLabels``/``matchExpressions`` or a plain map) match?"""
    if not selector:
        return False
    labels = labels or {}
    match_labels = (
        selector.get("matchLabels")
        if "matchLabels" in selector or "matchExpressions" in selector
        else selector
    )
    for key, value in (match_labels or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def selector_string(match_labels: dict[str, Any]) -> str:
    """``{"app": "ml-pipeline-ui"}`` → ``"app=ml-pipeline-ui"`` for a labelSelector query."""
    return ",".join(f"{k}={v}" for k, v in sorted(match_labels.items()))
