"""Fixtures for the kube tests: a loopback Kubernetes emulator, clients for it through a
real kubeconfig file, rendered manifest sets from the shared fixtures, and sessions
whose earlier steps' outputs point at all of that (as the real steps would leave them)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kfwizard.engine.events import Event
from kfwizard.engine.runner import Runner, RunResult
from kfwizard.session import Session, SessionStore

FIXTURES = (Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures").resolve()
CONTEXT = "kfwizard-test"

KFP_FILES = {
    "1.6.0": ("cluster-scoped-resources.yaml", "env-{env}.yaml"),
    "1.8.5": ("cluster-scoped-resources.yaml", "env-{env}.yaml"),
    "2.17.0": ("cluster-scoped-resources.yaml", "env-{env}.yaml"),
}


def manifests_outputs(
    version: str, env: str = "platform-agnostic", mode: str = "kfp-standalone"
) -> dict[str, Any]:
    """What the ``manifests`` step records, pointing at the shared rendered fixtures."""
    if mode == "kubeflow":
        return {
            "mode": mode,
            "version": version,
            "env": env,
            "source": "rendered",
            "rendered_dir": str(FIXTURES / "kubeflow" / version),
            "files": ["example.yaml"],
        }
    first, second = KFP_FILES[version]
    return {
        "mode": mode,
        "version": version,
        "env": env,
        "source": "rendered",
        "rendered_dir": str(FIXTURES / "kfp" / version),
        "files": [first, second.format(env=env)],
    }


_SETS: dict[str, Any] = {}


def load_set(version: str, env: str = "platform-agnostic", mode: str = "kfp-standalone") -> Any:
    """The ``ManifestSet`` the apply step would get (parsed once per test process: the
    2.17.0 CRDs alone are 880 KB of YAML)."""
    from kfwizard.engine.steps.install import manifest_set_key
    from kfwizard.manifests import load_rendered

    outputs = manifests_outputs(version, env, mode)
    key = manifest_set_key(outputs)
    if key not in _SETS:
        _SETS[key] = load_rendered(outputs)
    return _SETS[key]


def emulator(
    faults: Any = None,
    *,
    machine: str = "e2-standard-4",
    count: int = 3,
    version: str = "1.33.5",
    gke: bool = True,
    speed: float = 0.0,
    tls: bool = True,
) -> Any:
    from kfwizard.emulator.faults import Faults
    from kfwizard.emulator.kube import KubeEmulator, NodeSpec

    return KubeEmulator(
        name="kfp-test",
        version=version,
        nodes=NodeSpec.for_machine(machine, count),
        speed=speed,
        faults=faults if faults is not None else Faults(),
        tls=tls,
        gke=gke,
    )


@pytest.fixture
def fixtures_root() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found ({FIXTURES})")
    return FIXTURES


@pytest.fixture
def faults() -> Any:
    from kfwizard.emulator.faults import Faults

    return Faults(seed=7)


@pytest.fixture
def emu(faults: Any, fixtures_root: Path) -> Iterator[Any]:
    """A started emulator: 3 x e2-standard-4, Kubernetes 1.33, speed 0, TLS, GKE flavour."""
    server = emulator(faults)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write_kubeconfig(server: Any, folder: Path) -> Path:
    path = folder / "kubeconfig.yaml"
    path.write_text(yaml.safe_dump(server.kubeconfig(CONTEXT)), encoding="utf-8")
    return path


def connect_through_gke(
    session: Any, server: Any, name: str = "kubeflow-testing", location: str = "us-central1-a"
) -> None:
    """Make ``session`` connected as the cluster step leaves a GKE cluster (its endpoint
    and CA, source ``gke``) rather than through the kubeconfig context: the fixes then
    name the cluster in gcloud commands."""
    session.outputs["cluster"] = {
        "name": name,
        "location": location,
        "endpoint": server.url.removeprefix("https://"),
        "ca_certificate": server.ca_pem,
        "status": "RUNNING",
    }
    session.outputs["connect"] = {"source": "gke", "server_version": "v1.33.5"}


@pytest.fixture
def kubeconfig(emu: Any, tmp_path: Path) -> Path:
    return write_kubeconfig(emu, tmp_path)


def clients_for(path: Path) -> Any:
    from kfwizard.gcp.kube_access import api_client_for_context
    from kfwizard.kube.client import KubeClients

    return KubeClients(api_client_for_context(str(path), CONTEXT))


@pytest.fixture
def clients(kubeconfig: Path) -> Iterator[Any]:
    found = clients_for(kubeconfig)
    try:
        yield found
    finally:
        found.close()


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "sessions")


def new_session(
    store: SessionStore,
    kubeconfig: Path,
    version: str,
    env: str = "platform-agnostic",
    mode: str = "kfp-standalone",
) -> Session:
    """A session as the project, cluster, connect and manifests steps would leave it."""
    session = Session.new(
        name="kube-test",
        selections={
            "cluster": {"source": "kubeconfig", "context": CONTEXT},
            "deployment": {"mode": mode, "version": version, "env": env},
        },
    )
    session.outputs["cluster"] = {
        "name": "kubeflow-testing",
        "location": "us-central1-a",
        "kubeconfig": str(kubeconfig),
        "context": CONTEXT,
    }
    session.outputs["connect"] = {
        "source": "kubeconfig",
        "kubeconfig": str(kubeconfig),
        "context": CONTEXT,
        "server_version": "v1.33.5",
    }
    session.outputs["manifests"] = manifests_outputs(version, env, mode)
    for step in ("credentials", "services", "cluster", "connect", "manifests"):
        session.record(step, "done")
    store.save(session)
    return session


FAST = {
    "crd": 20,
    "kind": 10,
    "webhook": 20,
    "rollout": 60,
    "stuck": 2,
    "warn_grace": 1,
    "verify": 10,
    "public_url": 5,
    "namespaces": 10,
}


def run(
    session: Session,
    store: SessionStore,
    steps: list[Any],
    *,
    options: dict[str, Any] | None = None,
    resources: dict[str, Any] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[RunResult, list[Event]]:
    """Run ``steps`` through the real Runner; returns the result and every event."""
    from kfwizard.engine.steps.install import manifest_set_key

    events: list[Event] = []
    opts = {"env": {}, "timeouts": dict(FAST)}
    opts.update(options or {})
    shared = resources if resources is not None else {}
    out = session.outputs.get("manifests") or {}
    if str(out.get("rendered_dir", "")).startswith(str(FIXTURES)):
        shared.setdefault(manifest_set_key(out), load_set(out["version"], out["env"], out["mode"]))
    runner = Runner(
        session, store, steps, emit=events.append, options=opts, resources=shared, cancel=cancel
    )
    result = runner.run()
    kube = runner.resources.get("kube")
    if kube is not None and resources is None:
        kube.close()
    return result, events
