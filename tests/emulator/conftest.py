"""Shared fixtures for the emulator tests: a running stack and the official clients
pointed at it (REST transport, anonymous credentials), as production code builds them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TEST_PROJECT = "kfw-test-project"
CLUSTER_APIS = ("container.googleapis.com", "compute.googleapis.com")


def gke_client(url: str) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import container_v1

    return container_v1.ClusterManagerClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": url},
    )


def serviceusage_client(url: str) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import service_usage_v1

    return service_usage_v1.ServiceUsageClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": url},
    )


def fast_polling() -> Any:
    """LRO polling for tests: ask every few ms instead of Google's 1-60 s backoff."""
    from google.api_core.future import polling

    return polling.DEFAULT_POLLING.with_delay(initial=0.01, maximum=0.05).with_timeout(10)


@pytest.fixture
def emulator_stack(tmp_path: Path) -> Iterator[Any]:
    """A stack at speed 0 whose project already has the cluster APIs enabled."""
    from kfwizard.emulator.catalog import DEFAULT_ENABLED
    from kfwizard.emulator.stack import EmulatorStack

    with EmulatorStack(
        speed=0.0,
        project=TEST_PROJECT,
        enabled_services=[*DEFAULT_ENABLED, *CLUSTER_APIS],
        kubeconfig_path=tmp_path / "emulator-kubeconfig",
    ) as stack:
        yield stack


@pytest.fixture
def gke(emulator_stack: Any) -> Any:
    return gke_client(emulator_stack.gke_url)


@pytest.fixture
def serviceusage(emulator_stack: Any) -> Any:
    return serviceusage_client(emulator_stack.serviceusage_url)


@pytest.fixture
def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl is not on PATH")
    return path
