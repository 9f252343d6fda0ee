"""``KubeEmulator``: a Kubernetes API server on 127.0.0.1 backed by a simulated GKE
cluster, for tests and ``--demo``.

Everything real clients need is here: the URL and CA (as GKE reports them in
``cluster.endpoint`` / ``masterAuth.clusterCaCertificate``), a kubeconfig, and state
that can be saved and restored so ``kfwizard emulator --state-dir`` keeps clusters
between runs (the CA travels with the state, so saved kubeconfigs stay valid).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kfwizard.emulator.faults import Faults
from kfwizard.emulator.kube import tls
from kfwizard.emulator.kube.cluster import Cluster, Stats
from kfwizard.emulator.kube.nodes import NodeSpec
from kfwizard.emulator.kube.server import LOOPBACK, KubeHTTPServer
from kfwizard.emulator.kube.store import Store

STATE_FORMAT = 1


class KubeEmulator:
    def __init__(
        self,
        *,
        name: str = "kubeflow-testing",
        version: str = "1.33.5-gke.1200000",
        nodes: list[NodeSpec] | None = None,
        speed: float = 0.0,
        faults: Faults | None = None,
        tls: bool = True,
        gke: bool = True,
        token: str | None = None,
        state: dict[str, Any] | None = None,
        zone: str = "us-central1-a",
        project: str = "kfwizard-demo",
        port: int = 0,
    ) -> None:
        saved = state or {}
        if saved and saved.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported emulator state format {saved.get('format')!r}")
        if nodes is None:
            nodes = (
                [NodeSpec(**n) for n in saved["nodes"]]
                if saved.get("nodes")
                else NodeSpec.for_machine("n1-standard-2", 3, cluster=name)
            )
        self.cluster = Cluster(
            name=saved.get("name", name),
            version=saved.get("version", version),
            nodes=nodes,
            speed=speed,
            faults=faults if faults is not None else Faults(),
            gke=saved.get("gke", gke),
            zone=saved.get("zone", zone),
            project=saved.get("project", project),
        )
        self.cluster.nodes_set = bool(saved.get("nodes_set"))
        self.tls = tls
        self.token = saved.get("token") or token or secrets.token_urlsafe(32)
        self._port = port
        self._saved_port = int(saved.get("port") or 0)
        """The port the saved cluster listened on: tried first when none is asked for,
        so its endpoint (in kubeconfigs, in a session's outputs) survives a restart,
        as a real cluster's does."""
        self._certs: Any = None
        if tls:
            self._certs = (
                _bundle_from(saved["tls"]) if saved.get("tls") else _generate(self.cluster.name)
            )
            self.cluster.ca_pem = self._certs.ca_pem
        self._restored = bool(saved.get("store"))
        if self._restored:
            self.cluster.store.load(saved["store"])
            self.cluster.available_at.update(
                {tuple(k.split("/", 1)): v for k, v in saved.get("available_at", {}).items()}
            )
        self._server: KubeHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> KubeEmulator:
        if self._server is not None:
            return self
        cluster = self.cluster
        context = tls.server_context(self._certs) if self.tls else None
        self._server = self._listen(cluster, context)
        cluster.discovery.server_address = self.endpoint
        if self._restored:
            cluster.resume_after_restore()
        else:
            cluster.seed()
            self._restored = True  # a restart of this object keeps its cluster
        cluster.sim.run_until_idle()
        cluster.sim.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"kube-emulator-{cluster.name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def _listen(self, cluster: Cluster, context: Any) -> KubeHTTPServer:
        """A server on the asked-for port, else on the saved one if it is free, else on
        any free port."""
        if not self._port and self._saved_port:
            try:
                return KubeHTTPServer(self._saved_port, cluster, context)
            except OSError:  # taken since: the endpoint changes, as it did before
                pass
        return KubeHTTPServer(self._port, cluster, context)

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._server = None
        self.cluster.sim.stop()
        server.shutdown()
        self.cluster.store.close_watches()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def __enter__(self) -> KubeEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses and credentials -------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.endpoint}"

    @property
    def ca_pem(self) -> str | None:
        return self._certs.ca_pem if self._certs else None

    @property
    def ca_b64(self) -> str | None:
        pem = self.ca_pem
        return base64.b64encode(pem.encode()).decode() if pem else None

    def kubeconfig(self, context: str) -> dict[str, Any]:
        cluster: dict[str, Any] = {"server": self.url}
        if self.ca_b64:
            cluster["certificate-authority-data"] = self.ca_b64
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": cluster}],
            "users": [{"name": context, "user": {"token": self.token}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
            "current-context": context,
            "preferences": {},
        }

    # -- the simulated cluster ------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def version(self) -> str:
        return self.cluster.version

    @property
    def faults(self) -> Faults:
        return self.cluster.faults

    @property
    def speed(self) -> float:
        return self.cluster.speed

    @speed.setter
    def speed(self, value: float) -> None:
        self.cluster.speed = value

    @property
    def stats(self) -> Stats:
        return self.cluster.stats

    @property
    def store(self) -> Store:
        return self.cluster.store

    @property
    def available_at(self) -> dict[tuple[str, str], float]:
        """(namespace, deployment) -> time.time() when it first became Available."""
        return self.cluster.available_at

    @property
    def controller_errors(self) -> list[str]:
        """Tracebacks of simulation bugs (tests assert this stays empty)."""
        return self.cluster.sim.errors

    def set_nodes(self, nodes: list[NodeSpec]) -> None:
        self.cluster.set_nodes(nodes)

    def set_version(self, version: str) -> None:
        self.cluster.set_version(version)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until the simulation has nothing due right now (handy with speed=0)."""
        return self.cluster.sim.wait_idle(timeout)

    # -- persistence ---------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        cluster = self.cluster
        with cluster.store.lock:
            data: dict[str, Any] = {
                "format": STATE_FORMAT,
                "name": cluster.name,
                "version": cluster.version,
                "gke": cluster.gke,
                "zone": cluster.zone,
                "project": cluster.project,
                "token": self.token,
                "port": self._server.server_address[1] if self._server else self._saved_port,
                "nodes": [asdict(n) for n in cluster.node_specs],
                "nodes_set": cluster.nodes_set,
                "available_at": {
                    # A copy: the simulation adds to it from its own thread (autosave).
                    f"{ns}/{name}": t
                    for (ns, name), t in dict(cluster.available_at).items()
                },
                "store": cluster.store.dump(),
            }
        if self._certs is not None:
            data["tls"] = self._certs.to_dict()
        return data

    @classmethod
    def restore(cls, data: dict[str, Any], **kwargs: Any) -> KubeEmulator:
        return cls(state=data, **kwargs)

    def save_state(self, path: str | Path) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(json.dumps(self.snapshot()), encoding="utf-8")
        tmp.replace(target)

    @classmethod
    def load_state(cls, path: str | Path, **kwargs: Any) -> KubeEmulator:
        return cls(state=json.loads(Path(path).read_text(encoding="utf-8")), **kwargs)


def _generate(name: str) -> tls.CertBundle:
    return tls.generate(name)


def _bundle_from(data: dict[str, str]) -> tls.CertBundle:
    return tls.CertBundle.from_dict(data)
