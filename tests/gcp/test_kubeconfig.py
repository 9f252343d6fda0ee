"""The kubeconfig entry is gcloud's, merged without disturbing anything else."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
import yaml

from kfwizard.gcp import kubeconfig

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
CA_B64 = base64.b64encode((PEM + "\n").encode()).decode()

OTHER = {
    "apiVersion": "v1",
    "kind": "Config",
    "preferences": {"colors": True},
    "current-context": "kind-kind",
    "clusters": [{"name": "kind-kind", "cluster": {"server": "https://127.0.0.1:6443"}}],
    "users": [{"name": "kind-kind", "user": {"token": "abc"}}],
    "contexts": [{"name": "kind-kind", "context": {"cluster": "kind-kind", "user": "kind-kind"}}],
}


def env_for(path: Path) -> dict[str, str]:
    return {"KUBECONFIG": f"{path}{os.pathsep}/elsewhere/config", "HOME": "/nonexistent"}


def test_exact_structure(tmp_path: Path) -> None:
    path = tmp_path / "kube" / "config"
    written, context = kubeconfig.write_context(
        env_for(path),
        project="my-project",
        location="us-central1-a",
        cluster="kubeflow-testing",
        endpoint="34.1.2.3",
        ca=CA_B64,
    )
    assert written == path
    assert context == "gke_my-project_us-central1-a_kubeflow-testing"
    data = yaml.safe_load(path.read_text())
    assert data == {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "current-context": context,
        "clusters": [
            {
                "name": context,
                "cluster": {"certificate-authority-data": CA_B64, "server": "https://34.1.2.3"},
            }
        ],
        "users": [
            {
                "name": context,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "gke-gcloud-auth-plugin",
                        "installHint": kubeconfig.INSTALL_HINT,
                        "provideClusterInfo": True,
                    }
                },
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_merge_keeps_other_entries_and_replaces_own(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(OTHER))
    path.chmod(0o644)
    env = env_for(path)
    for endpoint in ("10.0.0.1", "10.0.0.2"):  # a second write replaces, never duplicates
        kubeconfig.write_context(
            env, project="p-123456", location="europe-west1", cluster="c", endpoint=endpoint, ca=PEM
        )
    data = yaml.safe_load(path.read_text())
    name = "gke_p-123456_europe-west1_c"
    assert [c["name"] for c in data["clusters"]] == ["kind-kind", name]
    assert [u["name"] for u in data["users"]] == ["kind-kind", name]
    assert [c["name"] for c in data["contexts"]] == ["kind-kind", name]
    assert data["clusters"][0] == OTHER["clusters"][0]
    assert data["users"][0] == OTHER["users"][0]
    assert data["preferences"] == {"colors": True}
    assert data["current-context"] == name
    assert data["clusters"][1]["cluster"]["server"] == "https://10.0.0.2"
    # a PEM CA is stored as base64 of the PEM, like gcloud's certificate-authority-data
    assert data["clusters"][1]["cluster"]["certificate-authority-data"] == CA_B64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert kubeconfig.has_context(path, name)
    assert kubeconfig.context_names(path) == ["kind-kind", name]
    assert kubeconfig.contexts(path) == (["kind-kind", name], name)


def test_default_path_is_home_kube_config(tmp_path: Path) -> None:
    assert kubeconfig.kubeconfig_path({"HOME": str(tmp_path)}) == tmp_path / ".kube" / "config"
    assert kubeconfig.kubeconfig_path({"KUBECONFIG": f"{os.pathsep}/a/b", "HOME": "/h"}) == Path(
        "/a/b"
    )


def test_broken_file_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("- just\n- a list\n")
    with pytest.raises(kubeconfig.KubeconfigError):
        kubeconfig.write_context(
            env_for(path),
            project="p-123456",
            location="us-east1-b",
            cluster="c",
            endpoint="x",
            ca=PEM,
        )
    assert path.read_text() == "- just\n- a list\n"


def test_plugin_status(tmp_path: Path) -> None:
    missing = kubeconfig.plugin_status({"PATH": str(tmp_path)})
    assert not missing.found
    assert "gcloud components install gke-gcloud-auth-plugin" in missing.message()
    assert "google-cloud-cli-gke-gcloud-auth-plugin" in missing.message()
    plugin = tmp_path / "gke-gcloud-auth-plugin"
    plugin.write_text("#!/bin/sh\n")
    plugin.chmod(0o755)
    found = kubeconfig.plugin_status({"PATH": str(tmp_path)})
    assert found.found and found.path == str(plugin)


def test_context_found_in_any_kubeconfig_file(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_text(yaml.safe_dump(OTHER))
    kubeconfig.write_context(
        {"KUBECONFIG": str(second)},
        project="p-123456",
        location="us-east1-b",
        cluster="c",
        endpoint="x",
        ca=PEM,
    )
    env = {"KUBECONFIG": os.pathsep.join([str(first), str(tmp_path / "missing"), str(second)])}
    assert kubeconfig.find_context(env, "gke_p-123456_us-east1-b_c") == (
        second,
        ["kind-kind", "gke_p-123456_us-east1-b_c"],
    )
    assert kubeconfig.find_context(env, "nope")[0] is None
