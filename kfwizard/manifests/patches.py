"""Small, exact edits to rendered YAML that kustomize would otherwise need an overlay for.

- kfp-gcp: ``env/gcp`` renders placeholders (``yourGcsBucketName`` …); ``sample/`` fills
  them from ``params.env``. kfwizard fills the same keys with the user's bucket, Cloud
  SQL connection name and database user. The password is never written: the applier
  puts it into Secret ``mysql-secret`` at apply time.
- Full Kubeflow on GKE: the ``gke`` Istio overlay differs from ``example`` in one line,
  the ``istio-cni-node`` hostPath ``cni-bin-dir`` (``/home/kubernetes/bin`` instead of
  the read-only ``/opt/cni/bin``); kfwizard makes that one change.

Only the documents that change are re-serialised; every other byte stays as rendered.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import yaml

from kfwizard.engine.errors import StepFailed

_MARKER = re.compile(r"^---(?:[ \t].*)?$", re.M)

GCP_PLACEHOLDERS = {
    "bucketName": "yourGcsBucketName",
    "gcsProjectId": "yourGcsProjectId",
    "gcsCloudSqlInstanceName": "yourCloudSqlInstanceName",
}
GKE_CNI_BIN_DIR = "/home/kubernetes/bin"
UPSTREAM_CNI_BIN_DIR = "/opt/cni/bin"


def split_documents(text: str) -> list[str]:
    """Cut ``text`` at document markers; ``"".join(result) == text`` always holds."""
    starts = [m.start() for m in _MARKER.finditer(text)]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def _header(kind: str, name: str) -> Callable[[str], bool]:
    kind_line = re.compile(rf"^kind:\s*{re.escape(kind)}\s*$", re.M)
    name_line = re.compile(rf"^\s+name:\s*['\"]?{re.escape(name)}['\"]?\s*$", re.M)
    return lambda chunk: bool(kind_line.search(chunk) and name_line.search(chunk))


def patch_documents(
    text: str, kind: str, name: str, change: Callable[[dict[str, Any]], bool]
) -> tuple[str, int]:
    """Apply ``change`` (returns True when it changed something) to each ``kind``/``name``
    document; returns the new text and how many documents changed."""
    candidate = _header(kind, name)
    chunks = split_documents(text)
    changed = 0
    for i, chunk in enumerate(chunks):
        if not candidate(chunk):
            continue
        try:
            obj = yaml.safe_load(chunk)
        except yaml.YAMLError:
            continue
        if not isinstance(obj, dict) or obj.get("kind") != kind:
            continue
        if (obj.get("metadata") or {}).get("name") != name or not change(obj):
            continue
        prefix = "---\n" if chunk.startswith("---") else ""
        chunks[i] = prefix + yaml.safe_dump(
            obj, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1 << 16
        )
        changed += 1
    return "".join(chunks), changed


def fill_gcp_params(
    text: str, *, bucket: str, project: str, cloudsql_instance: str, db_user: str
) -> str:
    """Put the kfp-gcp inputs into a rendered ``env/gcp`` (what ``sample/`` does)."""
    values = {
        "bucketName": bucket,
        "gcsProjectId": project,
        "gcsCloudSqlInstanceName": cloudsql_instance,
    }

    def install_config(obj: dict[str, Any]) -> bool:
        data = obj.setdefault("data", {})
        data.update(values)
        return True

    def workflow_config(obj: dict[str, Any]) -> bool:
        data = obj.get("data") or {}
        changed = False
        for key, value in list(data.items()):
            if isinstance(value, str) and GCP_PLACEHOLDERS["bucketName"] in value:
                data[key] = value.replace(GCP_PLACEHOLDERS["bucketName"], bucket)
                changed = True
        return changed

    def db_secret(obj: dict[str, Any]) -> bool:
        if isinstance(obj.get("stringData"), dict):
            obj["stringData"]["username"] = db_user
        else:
            obj.setdefault("data", {})["username"] = base64.b64encode(db_user.encode()).decode()
        return True

    text, n = patch_documents(text, "ConfigMap", "pipeline-install-config", install_config)
    if n == 0:
        raise StepFailed(
            "The env/gcp manifests have no ConfigMap pipeline-install-config to "
            "put the bucket and Cloud SQL instance into.",
            action="use the upstream env/gcp manifests of the selected version",
        )
    text, _ = patch_documents(text, "ConfigMap", "workflow-controller-configmap", workflow_config)
    text, _ = patch_documents(text, "Secret", "mysql-secret", db_secret)
    left = [p for p in GCP_PLACEHOLDERS.values() if p in text]
    if left:
        raise StepFailed(
            f"The env/gcp manifests still contain the "
            f"{'placeholder' if len(left) == 1 else 'placeholders'} {', '.join(left)} "
            "after filling in your inputs.",
            action="report this with the version used; the render differs from upstream",
        )
    return text


def gke_istio_cni(text: str) -> tuple[str, int]:
    """Point ``istio-cni-node``'s ``cni-bin-dir`` at ``/home/kubernetes/bin`` (Istio's
    ``gke`` overlay); returns the new text and the number of DaemonSets changed."""

    def change(obj: dict[str, Any]) -> bool:
        pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        for volume in pod.get("volumes") or []:
            host = volume.get("hostPath") if isinstance(volume, dict) else None
            if (
                volume.get("name") == "cni-bin-dir"
                and isinstance(host, dict)
                and host.get("path") == UPSTREAM_CNI_BIN_DIR
            ):
                host["path"] = GKE_CNI_BIN_DIR
                return True
        return False

    return patch_documents(text, "DaemonSet", "istio-cni-node", change)
