"""The fixes a capacity failure suggests, run as the user runs them: the exact gcloud
commands the Install screen shows (``gcloud container clusters resize ...`` and
``gcloud container node-pools create kfp-pool ...``), in a shell that sourced the demo's
``env.sh``, against a demo cluster made with ``--fault small-nodepool``. Both must
work, and the cluster's Kubernetes API must then show the new nodes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from google.cloud import container_v1

from kfwizard.demo import DEMO_PROJECT, shell_env_path, start_demo
from kfwizard.kube.preflight import node_pool_fix, resize_fix
from tests.emulator.conftest import CLUSTER_APIS, gke_client
from tests.test_demo_env import sourced

pytestmark = pytest.mark.needs_gcloud

ZONE = "us-central1-a"
NAME = "kubeflow-testing"


def shown_command(fix: str) -> str:
    """The command inside the quotes of a fix as the screens word it."""
    found = re.search(r'"(gcloud [^"]+)"', fix)
    assert found, fix
    return found.group(1)


def node_machines(kubeconfig: Path) -> list[str]:
    from kubernetes import client, config

    api = config.new_client_from_config(
        config_file=str(kubeconfig), context=f"gke_{DEMO_PROJECT}_{ZONE}_{NAME}"
    )
    try:
        nodes = client.CoreV1Api(api).list_node().items
    finally:
        api.close()
    return sorted(n.metadata.labels["node.kubernetes.io/instance-type"] for n in nodes)


def create_small_cluster(stack: Any) -> None:
    """The demo's cluster as the wizard makes it, with the fault on: 1 x e2-small."""
    stack.serviceusage.enable_now(DEMO_PROJECT, CLUSTER_APIS)
    client = gke_client(stack.gke_url)
    op = client.create_cluster(
        parent=f"projects/{DEMO_PROJECT}/locations/{ZONE}",
        cluster=container_v1.Cluster(name=NAME, initial_node_count=3),
    )
    stack.gke.scheduler.run_due()
    assert stack.gke.operation(DEMO_PROJECT, op.name).message.status.name == "DONE"


def test_the_suggested_resize_and_node_pool_commands_work_in_the_demo_env(
    tmp_path: Path,
) -> None:
    if shutil.which("gcloud") is None:
        pytest.skip("gcloud is not on PATH (install the Google Cloud CLI to run this)")
    handle = start_demo(faults=["small-nodepool"], speed=0)
    try:
        create_small_cluster(handle.stack)
        kubeconfig = handle.stack.kubeconfig_path
        assert node_machines(kubeconfig) == ["e2-small"]
        cluster = {"name": NAME, "location": ZONE}

        resize = shown_command(resize_fix(cluster, "default-pool", 3))
        assert resize == (
            f"gcloud container clusters resize {NAME} --node-pool default-pool "
            f"--num-nodes 3 --zone {ZONE}"
        )
        done = sourced(shell_env_path(), f"{resize} --quiet", tmp_path)
        assert done.returncode == 0, done.stderr
        assert "ERROR" not in done.stderr, done.stderr
        assert node_machines(kubeconfig) == ["e2-small"] * 3

        create = shown_command(node_pool_fix(cluster, "e2-standard-4", 3))
        assert create.startswith("gcloud container node-pools create kfp-pool ")
        done = sourced(shell_env_path(), create, tmp_path)
        assert done.returncode == 0, done.stderr
        assert "kfp-pool" in done.stdout and "e2-standard-4" in done.stdout, done.stdout
        assert node_machines(kubeconfig) == ["e2-small"] * 3 + ["e2-standard-4"] * 3
    finally:
        handle.stop()
