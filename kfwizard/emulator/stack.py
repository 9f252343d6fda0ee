"""The emulated Google Cloud a demo or a test runs against: GKE + Service Usage + one
Kubernetes API per cluster, all on 127.0.0.1.

``env()`` gives the same variables gcloud uses, so gcloud, kubectl and kfwizard all talk
to the emulators with no other change: the endpoint overrides, anonymous credentials,
the project, the stack's own kubeconfig, and ``CLOUDSDK_AUTH_ACCESS_TOKEN_FILE`` (a
dummy token, so ``gke-gcloud-auth-plugin`` - which gcloud puts in the kubeconfig entries
it writes - has something to hand kubectl; the Kubernetes emulator accepts any token).

One lock and one clock serve the whole stack, so GKE, Service Usage and the kubeconfig
writer never interleave (the writer runs from GKE events as clusters come and go).
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
import threading
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any

from kfwizard.emulator import catalog
from kfwizard.emulator import state as state_io
from kfwizard.emulator.autosave import Autosave
from kfwizard.emulator.faults import Faults
from kfwizard.emulator.gke import GkeEmulator
from kfwizard.emulator.gke_lifecycle import KubeFactory
from kfwizard.emulator.kubeconfig import Entry, atomic_write, write_kubeconfig
from kfwizard.emulator.operations import Scheduler
from kfwizard.emulator.serviceusage import ServiceUsageEmulator

DEFAULT_LOCATION = "us-central1-a"
CLUSTER_APIS = ("container.googleapis.com", "compute.googleapis.com")
ACCESS_TOKEN = "kfwizard-emulator-token"
"""What gcloud (and so gke-gcloud-auth-plugin) presents; the emulators accept any."""


class EmulatorStack:
    """Start with ``with EmulatorStack(...) as stack:`` or ``start()`` / ``stop()``.

    ``enabled_services``: the project's enabled APIs (default: a new project's, without
    container/compute, as the demo starts). ``clusters``: names of RUNNING clusters to
    create at start (us-central1-a, 3 x n1-standard-2; their APIs get enabled).
    ``state_dir``: load saved state on start (it wins over ``enabled_services``; clusters
    already there are not created again), save it while running whenever it changes
    (``autosave``; a killed process loses at most a second) and on stop; the kubeconfig
    and the dummy access-token file live there too unless ``kubeconfig_path`` says
    otherwise.
    """

    def __init__(
        self,
        *,
        speed: float = 0.0,
        faults: Faults | None = None,
        project: str = "kfwizard-demo",
        enabled_services: Iterable[str] | None = None,
        clusters: Iterable[str] = (),
        state_dir: str | Path | None = None,
        kubeconfig_path: str | Path | None = None,
        kube_factory: KubeFactory | None = None,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.speed = float(speed)
        self.faults = faults if faults is not None else Faults()
        self.project = project
        self._enabled = None if enabled_services is None else list(enabled_services)
        self._initial_clusters = list(clusters)
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self._kubeconfig_arg = Path(kubeconfig_path) if kubeconfig_path is not None else None
        self.lock = threading.RLock()
        self.scheduler = Scheduler(self.speed, self.lock, "emulator-time")
        self.serviceusage = ServiceUsageEmulator(
            speed=self.speed, faults=self.faults, lock=self.lock, scheduler=self.scheduler
        )
        self.gke = GkeEmulator(
            speed=self.speed,
            faults=self.faults,
            services=self.serviceusage,
            kube_factory=kube_factory,
            on_change=self._clusters_changed,
            lock=self.lock,
            scheduler=self.scheduler,
        )
        self._tmpdir: Path | None = None
        self._kubeconfig: Path | None = None
        self._token_file: Path | None = None
        self._written: set[str] = set()
        self._running = False
        self.autosave: Autosave | None = None
        """Saves ``state_dir`` as the state changes (None without a ``state_dir``)."""

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> EmulatorStack:
        if self._running:
            return self
        self._prepare_files()
        try:
            with self.lock:
                saved = state_io.load(self.state_dir) if self.state_dir else None
                if saved is not None and self.state_dir is not None:
                    state_io.restore(self.state_dir, saved, self.gke, self.serviceusage)
                elif self._enabled is not None:
                    self.serviceusage.set_enabled(self.project, self._enabled)
                else:
                    self.serviceusage.project(self.project)
                self.scheduler.start()
                self.serviceusage.start()
                self.gke.start()
                self._running = True
                for name in self._initial_clusters:
                    if not self._has_cluster(name):
                        self.add_cluster(name)
                self._clusters_changed()
            if self.state_dir is not None:
                if saved is None:  # a first start: its state is on disk from now on too
                    self.save_state()
                self.autosave = Autosave(self.save_state, self._state_fingerprint)
                self.autosave.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop everything; with a ``state_dir``, save first. Safe to call twice."""
        if self.autosave is not None:
            self.autosave.stop()
            self.autosave = None
        with self.lock:
            was_running, self._running = self._running, False
        if was_running:
            self.gke.server.stop()
            self.serviceusage.server.stop()
            self.scheduler.stop()
            self.save_state()
        self.gke.stop()
        self.serviceusage.stop()
        self.scheduler.stop()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def save_state(self) -> None:
        """Write the state to ``state_dir`` (nothing without one)."""
        if self.state_dir is not None:
            with self.lock:
                state_io.save(self.state_dir, self.gke, self.serviceusage)

    def _state_fingerprint(self) -> Hashable:
        """What moves when the saved state would differ: cheap enough to take every
        second (no Kubernetes object is read, only each cluster's resourceVersion)."""
        with self.lock:
            clusters = tuple(
                (
                    key,
                    int(record.message.status),
                    record.busy,
                    record.kube.cluster.store.resource_version if record.kube else None,
                )
                for key, record in sorted(self.gke.clusters.items())
            )
            operations = tuple(
                (key, int(op.message.status), op.position)
                for key, op in sorted(self.gke.operations.items())
            )
            return clusters, operations, repr(self.serviceusage.to_state())

    def __enter__(self) -> EmulatorStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what clients need ------------------------------------------------------------
    @property
    def gke_url(self) -> str:
        return self.gke.url

    @property
    def serviceusage_url(self) -> str:
        return self.serviceusage.url

    @property
    def kubeconfig_path(self) -> Path:
        if self._kubeconfig is None:
            raise RuntimeError("the emulator stack is not started")
        return self._kubeconfig

    @property
    def token_file(self) -> Path:
        if self._token_file is None:
            raise RuntimeError("the emulator stack is not started")
        return self._token_file

    def env(self) -> dict[str, str]:
        """The environment that points gcloud, kubectl and kfwizard at the emulators."""
        return {
            "CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER": f"{self.gke_url}/",
            "CLOUDSDK_API_ENDPOINT_OVERRIDES_SERVICEUSAGE": f"{self.serviceusage_url}/",
            "CLOUDSDK_AUTH_DISABLE_CREDENTIALS": "true",
            "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE": str(self.token_file),
            "CLOUDSDK_CORE_PROJECT": self.project,
            "KUBECONFIG": str(self.kubeconfig_path),
            "KFWIZARD_EMULATOR_SPEED": _format_speed(self.speed),
        }

    def export_lines(self) -> list[str]:
        """``export NAME='value'`` lines for a POSIX shell."""
        return [f"export {k}={shlex.quote(v)}" for k, v in self.env().items()]

    # -- clusters -----------------------------------------------------------------------
    def add_cluster(
        self,
        name: str,
        location: str = DEFAULT_LOCATION,
        machine_type: str = "n1-standard-2",
        nodes: int = 3,
    ) -> Any:
        """A RUNNING cluster at once (its APIs enabled); returns its KubeEmulator."""
        with self.lock:
            self.serviceusage.enable_now(self.project, CLUSTER_APIS)
            record = self.gke.add_running_cluster(
                self.project, location, name, machine_type=machine_type, nodes=nodes
            )
            return record.kube

    def cluster(self, name: str, location: str | None = None) -> Any:
        """The KubeEmulator of a RUNNING cluster of the stack's project."""
        record = self.gke.cluster(self.project, name, location)
        if record.kube is None:
            raise LookupError(f"cluster {name} is not running ({record.message.status.name})")
        return record.kube

    def _has_cluster(self, name: str) -> bool:
        return any(r.project == self.project and r.name == name for r in self.gke.clusters.values())

    # -- files --------------------------------------------------------------------------
    def _prepare_files(self) -> None:
        base = self.state_dir
        if base is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="kfwizard-emulator-"))
            base = self._tmpdir
        base.mkdir(parents=True, exist_ok=True)
        self._kubeconfig = self._kubeconfig_arg or base / "kubeconfig"
        self._token_file = base / "access-token"
        atomic_write(self._token_file, ACCESS_TOKEN + "\n")

    def _clusters_changed(self) -> None:
        """Rewrite the kubeconfig from the clusters that are RUNNING now."""
        if self._kubeconfig is None:
            return
        with self.lock:
            entries = [
                Entry(r.context, r.kube.url, r.kube.ca_b64, r.kube.token)
                for r in self.gke.clusters.values()
                if r.kube is not None
            ]
            current = {e.context for e in entries}
            write_kubeconfig(self._kubeconfig, entries, self._written - current)
            self._written = current


def _format_speed(speed: float) -> str:
    return str(int(speed)) if speed == int(speed) else str(speed)


def default_enabled() -> tuple[str, ...]:
    """What the demo project starts with: a new project's APIs, not container/compute."""
    return catalog.DEFAULT_ENABLED
