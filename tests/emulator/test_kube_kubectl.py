"""The real kubectl against the emulator: the documented KFP install and teardown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.needs_kubectl


def test_kubectl_installs_waits_inspects_and_deletes_kfp(
    kube_kubectl: Any, kube_emu: Any, shared_fixtures: Path
) -> None:
    folder = shared_fixtures / "kfp" / "2.17.0"
    scoped, env = (
        str(folder / "cluster-scoped-resources.yaml"),
        str(folder / "env-platform-agnostic.yaml"),
    )
    version = kube_kubectl("version", "-o", "json")
    assert json.loads(version.stdout)["serverVersion"]["gitVersion"] == "v1.33.5-gke.1200000"
    out = kube_kubectl("apply", "--server-side", "--validate=false", "-f", scoped).stdout
    assert (
        "customresourcedefinition.apiextensions.k8s.io/workflows.argoproj.io serverside-applied"
        in out
    )
    out = kube_kubectl(
        "wait", "--for", "condition=established", "--timeout=30s", "crd/workflows.argoproj.io"
    ).stdout
    assert "condition met" in out
    out = kube_kubectl("apply", "--server-side", "--validate=false", "-f", env).stdout
    assert "deployment.apps/ml-pipeline serverside-applied" in out
    again = kube_kubectl("apply", "--server-side", "--validate=false", "-f", env).stdout
    assert again.count("serverside-applied") == out.count("serverside-applied")
    out = kube_kubectl(
        "rollout", "status", "-n", "kubeflow", "deploy/ml-pipeline", "--timeout=60s"
    ).stdout
    assert 'deployment "ml-pipeline" successfully rolled out' in out
    kube_kubectl(
        "wait", "-n", "kubeflow", "--for=condition=Available", "deploy", "--all", "--timeout=60s"
    )
    pods = kube_kubectl("get", "pods", "-n", "kubeflow").stdout.splitlines()
    assert pods[0].split()[:3] == ["NAME", "READY", "STATUS"]
    assert sum(1 for line in pods[1:] if " Running " in line) == 14
    described = kube_kubectl(
        "describe", "configmap", "-n", "kubeflow", "pipeline-install-config"
    ).stdout
    assert "appVersion:" in described and "2.17.0" in described
    raw = kube_kubectl(
        "get",
        "--raw",
        "/api/v1/namespaces/kubeflow/services/ml-pipeline:8888/proxy/apis/v1beta1/healthz",
    )
    assert json.loads(raw.stdout)["tag_name"] == "2.17.0"
    jsonpath = kube_kubectl(
        "get",
        "cm",
        "-n",
        "kubeflow",
        "pipeline-install-config",
        "-o",
        "jsonpath={.data.appVersion}",
    )
    assert jsonpath.stdout == "2.17.0"
    # --wait=false: kubectl's own client-side throttling would spend ~12 s polling 60 objects
    out = kube_kubectl("delete", "--wait=false", "-f", env).stdout
    assert 'deployment.apps "ml-pipeline" deleted' in out
    # The namespace controller may remove the namespaced objects of this file before
    # kubectl gets to them (as on a real cluster when kubectl is slow): ignore NotFound.
    kube_kubectl("delete", "--ignore-not-found", "--timeout=60s", "-f", scoped)
    assert kube_emu.store.get("v1", "Namespace", None, "kubeflow") is None
    assert (
        kube_emu.store.get(
            "apiextensions.k8s.io/v1", "CustomResourceDefinition", None, "workflows.argoproj.io"
        )
        is None
    )


def test_kubectl_reports_missing_namespace_and_unknown_kinds(
    kube_kubectl: Any, tmp_path: Path
) -> None:
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: nowhere\n",
        encoding="utf-8",
    )
    proc = kube_kubectl(
        "apply", "--server-side", "--validate=false", "-f", str(manifest), check=False
    )
    assert proc.returncode != 0 and 'namespaces "nowhere" not found' in proc.stderr
    crd = tmp_path / "cr.yaml"
    crd.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\n"
        "metadata:\n  name: w\n  namespace: default\n",
        encoding="utf-8",
    )
    proc = kube_kubectl("apply", "--server-side", "--validate=false", "-f", str(crd), check=False)
    assert (
        proc.returncode != 0
        and 'no matches for kind "Workflow" in version "argoproj.io/v1alpha1"' in proc.stderr
    )
    nodes = kube_kubectl("get", "nodes").stdout
    assert nodes.count(" Ready ") == 3 and "v1.33.5-gke.1200000" in nodes
    events = kube_kubectl("get", "events", "-n", "kube-system").stdout
    assert "Scheduled" in events
