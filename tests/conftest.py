"""Shared test set-up: every test gets its own kfwizard home, no Google credentials
probing, and a hard guard that nothing connects anywhere but loopback."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = (PROJECT_ROOT / ".." / "shared").resolve()
FIXTURES = SHARED / "fixtures"

# Set before anything imports google.auth.
os.environ["NO_GCE_CHECK"] = "true"
os.environ["CLOUDSDK_AUTH_DISABLE_CREDENTIALS"] = "true"
os.environ.setdefault("GCE_METADATA_HOST", "127.0.0.1:9")
os.environ.setdefault("GCE_METADATA_IP", "127.0.0.1:9")
os.environ["TEXTUAL_ANIMATIONS"] = "none"


class NetworkEscape(AssertionError):
    """A test tried to reach something other than loopback."""


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return True  # AF_UNIX paths and similar
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _audit(event: str, args: tuple) -> None:
    if event == "socket.connect":
        sock, address = args[0], args[1]
        inet = getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6)
        if inet and isinstance(address, tuple) and not _is_loopback(address[0]):
            raise NetworkEscape(f"test tried to connect to {address!r}; only loopback is allowed")
    elif event == "socket.getaddrinfo":
        host = args[0]
        if isinstance(host, bytes):
            host = host.decode(errors="replace")
        if host is not None and not _is_loopback(host) and host not in ("localhost.localdomain",):
            raise NetworkEscape(f"test tried to resolve {host!r}; only loopback is allowed")


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def kfwizard_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test has its own state, log, cache and data folders, and its own HOME."""
    home = tmp_path / "kfwizard-home"
    home.mkdir()
    monkeypatch.setenv("KFWIZARD_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "home" / ".kube" / "config"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "home" / ".config" / "gcloud"))
    monkeypatch.setenv("KUBECACHEDIR", str(tmp_path / "kubecache"))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("CLOUDSDK_CORE_PROJECT", raising=False)
    yield home


@pytest.fixture
def fixtures_dir() -> Path:
    """The shared, read-only KFP manifests (rendered and kustomize)."""
    if not FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found next to the project ({FIXTURES})")
    return FIXTURES


@contextmanager
def emulators_as_google(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, project: str, fixture: str
) -> Iterator[Any]:
    """The emulators standing in for Google Cloud, as after ``eval "$(kfwizard emulator
    ...)"`` (not ``--demo``), with one cluster someone else made (``existing1``). Skips
    without the shared KFP ``fixture`` release the test installs."""
    from kfwizard.emulator.stack import EmulatorStack

    if not (FIXTURES / "kfp" / fixture).is_dir():
        pytest.skip("shared KFP fixtures not found")
    with EmulatorStack(
        speed=0.0,
        project=project,
        clusters=["existing1"],
        kubeconfig_path=tmp_path / "emulator-kubeconfig",
    ) as emulators:
        for key, value in emulators.env().items():
            monkeypatch.setenv(key, value)
        yield emulators
