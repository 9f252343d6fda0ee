"""End-to-end fixtures: an emulator stack whose export lines are in the environment,
exactly as a user would have after `eval "$(kfwizard emulator ...)"`."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kfwizard.emulator.stack import EmulatorStack


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[EmulatorStack]:
    with EmulatorStack(
        speed=0.0, project="kfw-e2e-project", kubeconfig_path=tmp_path / "emulator-kubeconfig"
    ) as emulators:
        for key, value in emulators.env().items():
            monkeypatch.setenv(key, value)
        # A broken workload counts as stuck after 3 s here (the default suits real clusters).
        monkeypatch.setenv("KFWIZARD_TIMEOUTS", "stuck=3,warn_grace=2")
        yield emulators


@pytest.fixture
def write_answers(tmp_path: Path) -> Callable[..., Path]:
    """Write an answers file for the e2e project; keyword overrides go into `deployment`."""

    def write(name: str = "e2e", cluster: dict[str, Any] | None = None, **deployment: Any) -> Path:
        data: dict[str, Any] = {
            "name": name,
            "project": "kfw-e2e-project",
            "services": "enable",
            "cluster": {
                "source": "create",
                "name": "kubeflow-testing",
                "location": "us-central1-a",
                "machine_type": "n1-standard-2",
                "nodes": 3,
                **(cluster or {}),
            },
            "deployment": {
                "mode": "kfp-standalone",
                "version": "2.17.0",
                "env": "platform-agnostic",
                **deployment,
            },
        }
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data))
        return path

    return write


@contextlib.contextmanager
def port_taken(endpoint: str) -> Iterator[None]:
    """Hold the port of ``host:port`` so that a restored demo cluster cannot listen on
    it again: its endpoint moves, as it does when another program took the port."""
    host, _, port = endpoint.rpartition(":")
    with socket.socket() as holder:
        # The port may be in TIME_WAIT from the connections just closed; a listening
        # socket still keeps the emulator (which also reuses addresses) off it.
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind((host, int(port)))
        holder.listen()
        yield
