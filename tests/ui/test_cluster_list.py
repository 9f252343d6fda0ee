"""The Existing GKE list names each cluster's status in words, from the emulated GKE."""

from __future__ import annotations

import pytest
from google.cloud import container_v1
from textual.widgets import Select

from kfwizard.app import WizardApp
from kfwizard.screens.cluster import ClusterScreen, status_word
from kfwizard.screens.project import ProjectScreen
from tests.ui.helpers import stack_env, wait_for, wait_for_screen

Status = container_v1.Cluster.Status


async def test_existing_clusters_show_their_status_as_a_word(stack, store, tmp_path):
    """The list read "kf-one  ·  us-central1  ·  2": str() of the proto-plus status
    enum is its number on Python 3.11. It reads "running" now."""
    stack.add_cluster("kf-one", location="us-central1")
    app = WizardApp(env=stack_env(stack, tmp_path), store=store)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for_screen(pilot, ProjectScreen)
        app.goto("cluster")
        screen = await wait_for_screen(pilot, ClusterScreen)
        screen.query_one("#source-existing").value = True
        select = screen.query_one("#existing", Select)
        await wait_for(pilot, lambda: len(select._options) > 1, timeout=20, description="listed")
        labels = [str(label) for label, _ in select._options[1:]]
        assert labels == ["kf-one  ·  us-central1  ·  running"]


@pytest.mark.parametrize(
    ("status", "word"),
    [
        (Status.PROVISIONING, "provisioning"),
        (Status.RUNNING, "running"),
        (Status.RECONCILING, "reconciling"),
        (Status.STOPPING, "stopping"),
        (Status.ERROR, "error"),
        (Status.DEGRADED, "degraded"),
        (Status.STATUS_UNSPECIFIED, "status unknown"),
        (None, "status unknown"),
    ],
)
def test_every_gke_status_reads_as_a_word(status: object, word: str) -> None:
    assert status_word(status) == word
