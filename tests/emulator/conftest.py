"""Shared fixtures for the emulator tests: a running stack and the official clients
pointed at it (REST transport, anonymous credentials), as production code builds them."""

from __future__ import annotations

import functools
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


# -- Kubernetes API emulator (tests/emulator/test_kube_*.py) ------------------------------

SHARED_FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures"


@pytest.fixture
def shared_fixtures() -> Path:
    """The rendered KFP / Kubeflow manifests shared next to the project."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {SHARED_FIXTURES}")
    return SHARED_FIXTURES


@functools.lru_cache(maxsize=16)
def _parsed(path: str) -> tuple[dict[str, Any], ...]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return tuple(doc for doc in yaml.load_all(handle, Loader=loader) if doc)


def load_manifests(path: Path) -> list[dict[str, Any]]:
    """The documents of a rendered manifest file (parsed once per session; read-only)."""
    return list(_parsed(str(path.resolve())))


@pytest.fixture
def kube_emu() -> Iterator[Any]:
    """A running Kubernetes API emulator at speed 0 (3 x n1-standard-2, TLS on)."""
    from kfwizard.emulator.kube import KubeEmulator

    emu = KubeEmulator(name="kube-test")
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()
    assert not emu.controller_errors, emu.controller_errors[0]


@pytest.fixture
def kube_api(kube_emu: Any) -> Iterator[Any]:
    """An ApiClient of the official client, built from the emulator's kubeconfig."""
    from kubernetes import config

    client = config.new_client_from_config_dict(kube_emu.kubeconfig("kube-test"))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def kube_dyn(kube_api: Any, tmp_path: Path) -> Any:
    """A DynamicClient with a per-test discovery cache."""
    from kubernetes.dynamic import DynamicClient

    return DynamicClient(kube_api, cache_file=str(tmp_path / "discovery-cache.json"))


def apply_docs(dyn: Any, docs: list[dict[str, Any]], manager: str = "kfwizard-test") -> list[Any]:
    """Server-side apply each document with the DynamicClient (as the wizard does);
    returns the applied objects. Kinds not yet served are retried briefly (a CRD that
    was just Established)."""
    import time

    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    applied = []
    for doc in docs:
        deadline = time.monotonic() + 5
        while True:
            try:
                resource = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
                break
            except ResourceNotFoundError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        namespace = doc["metadata"].get("namespace") if resource.namespaced else None
        applied.append(
            resource.server_side_apply(
                body=doc, namespace=namespace, field_manager=manager, force_conflicts=True
            )
        )
    return applied


def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll until ``predicate()`` is truthy; returns its value or fails the test."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s: {predicate}")
        time.sleep(interval)


@pytest.fixture
def kube_kubectl(kube_emu: Any, kubectl: str, tmp_path: Path) -> Any:
    """Run the real kubectl against the emulator (own kubeconfig and cache dir)."""
    import subprocess

    import yaml

    kubeconfig = tmp_path / "kubectl-kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(kube_emu.kubeconfig("kube-test")), encoding="utf-8")

    def run(*args: str, check: bool = True, timeout: float = 90) -> subprocess.CompletedProcess:
        argv = [kubectl, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "kc")]
        proc = subprocess.run(
            [*argv, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and proc.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
        return proc

    return run
