"""The real gcloud CLI against the emulators, with nothing but the stack's environment.

This is the proof that ``env()`` is all a person needs: the same commands as the 2021
recipe (services enable, clusters create/list/describe/delete) work unchanged, and the
kubeconfig entry gcloud writes (``gke-gcloud-auth-plugin``) reaches the cluster's
Kubernetes API. gcloud takes ~1-2 s per call, so the invocations are few.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kfwizard.emulator import gke_versions
from kfwizard.emulator.catalog import DEFAULT_ENABLED
from kfwizard.emulator.stack import EmulatorStack
from tests.emulator.conftest import CLUSTER_APIS, TEST_PROJECT

pytestmark = pytest.mark.needs_gcloud

GCLOUD = shutil.which("gcloud")
ZONE = "us-central1-a"


@pytest.fixture
def gcloud() -> str:
    if GCLOUD is None:
        pytest.skip("gcloud is not on PATH (install the Google Cloud CLI to run these)")
    return GCLOUD


def gcloud_env(stack: EmulatorStack, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        **stack.env(),
        "CLOUDSDK_CONFIG": str(tmp_path / "gcloud-config"),
        "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
        "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "1",
        "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING": "true",
    }


def run(gcloud: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [gcloud, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture
def demo_stack(tmp_path: Path) -> Iterator[EmulatorStack]:
    """The demo's starting point: a project without the Kubernetes Engine API."""
    with EmulatorStack(project=TEST_PROJECT, kubeconfig_path=tmp_path / "kubeconfig") as stack:
        yield stack


@pytest.fixture
def ready_stack(tmp_path: Path) -> Iterator[EmulatorStack]:
    with EmulatorStack(
        project=TEST_PROJECT,
        enabled_services=[*DEFAULT_ENABLED, *CLUSTER_APIS],
        kubeconfig_path=tmp_path / "kubeconfig",
    ) as stack:
        yield stack


def test_gcloud_services_list_and_enable(
    gcloud: str, demo_stack: EmulatorStack, tmp_path: Path
) -> None:
    env = gcloud_env(demo_stack, tmp_path)
    listed = run(gcloud, env, "services", "list", "--enabled", "--format=value(config.name)")
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) == set(DEFAULT_ENABLED)

    refused = run(gcloud, env, "container", "clusters", "list")
    assert refused.returncode != 0
    number = demo_stack.serviceusage.project(TEST_PROJECT).number
    assert (
        f"code=403, message=Kubernetes Engine API has not been used in project {number} "
        "before or it is disabled." in refused.stderr
    )

    enabled = run(gcloud, env, "services", "enable", "container.googleapis.com")
    assert enabled.returncode == 0, enabled.stderr
    assert demo_stack.serviceusage.is_enabled(TEST_PROJECT, "container.googleapis.com")
    assert demo_stack.serviceusage.is_enabled(TEST_PROJECT, "compute.googleapis.com")


def test_gcloud_cluster_lifecycle(gcloud: str, ready_stack: EmulatorStack, tmp_path: Path) -> None:
    env = gcloud_env(ready_stack, tmp_path)
    created = run(
        gcloud,
        env,
        "container",
        "clusters",
        "create",
        "kubeflow-testing",
        "--zone",
        ZONE,
        "--num-nodes",
        "3",
        "--machine-type",
        "n1-standard-2",
        "--scopes",
        "compute-rw,gke-default,storage-rw",
        "--cluster-version",
        "latest",
    )
    assert created.returncode == 0, created.stderr
    assert "kubeconfig entry generated for kubeflow-testing." in created.stderr

    listed = run(gcloud, env, "container", "clusters", "list", "--format=json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert (row["name"], row["location"], row["status"]) == ("kubeflow-testing", ZONE, "RUNNING")

    described = run(
        gcloud,
        env,
        "container",
        "clusters",
        "describe",
        "kubeflow-testing",
        "--zone",
        ZONE,
        "--format=json",
    )
    assert described.returncode == 0, described.stderr
    cluster = json.loads(described.stdout)
    kube = ready_stack.cluster("kubeflow-testing")
    assert cluster["endpoint"] == kube.endpoint
    assert cluster["masterAuth"]["clusterCaCertificate"] == kube.ca_b64
    assert cluster["currentMasterVersion"] == cluster["initialClusterVersion"]
    scopes = cluster["nodePools"][0]["config"]["oauthScopes"]
    assert "https://www.googleapis.com/auth/compute" in scopes

    assert cluster["currentMasterVersion"] == gke_versions.VALID_MASTER_VERSIONS[0]  # "latest"

    # what a person does for a cluster someone else created: fetch credentials
    credentials = run(
        gcloud, env, "container", "clusters", "get-credentials", "kubeflow-testing", "--zone", ZONE
    )
    assert credentials.returncode == 0, credentials.stderr
    _kubectl_with_gcloud_entry(ready_stack, env, tmp_path)

    deleted = run(
        gcloud,
        env,
        "container",
        "clusters",
        "delete",
        "kubeflow-testing",
        "--zone",
        ZONE,
        "--quiet",
    )
    assert deleted.returncode == 0, deleted.stderr
    assert ready_stack.gke.clusters == {}


def _kubectl_with_gcloud_entry(stack: EmulatorStack, env: dict[str, str], tmp_path: Path) -> None:
    """The context gcloud wrote (exec gke-gcloud-auth-plugin) works with kubectl."""
    kubectl = shutil.which("kubectl")
    if kubectl is None or shutil.which("gke-gcloud-auth-plugin") is None:
        return  # the gcloud part above still ran; kubectl is covered in test_stack too
    context = f"gke_{TEST_PROJECT}_{ZONE}_kubeflow-testing"
    config: dict[str, Any] = yaml.safe_load(stack.kubeconfig_path.read_text())
    assert config["current-context"] == context
    user = next(u for u in config["users"] if u["name"] == context)["user"]
    assert user["exec"]["command"] == "gke-gcloud-auth-plugin"
    nodes = subprocess.run(
        [kubectl, "--cache-dir", str(tmp_path / "kcache"), "get", "nodes", "-o", "name"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert nodes.returncode == 0, nodes.stderr
    assert len(nodes.stdout.split()) == 3
