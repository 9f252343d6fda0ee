"""One emulated cluster: the store, the API machinery and the simulators, wired together.

This module owns the map from store events to controller tasks (which reconcile a
change wakes up) and the reactions to fault changes. ``KubeEmulator`` (emulator.py) adds
the network side (HTTP server, TLS, kubeconfig) and persistence on top.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from kfwizard.emulator.faults import Faults
from kfwizard.emulator.kube import kfp, system
from kfwizard.emulator.kube.admission import Admission
from kfwizard.emulator.kube.controllers import Simulator
from kfwizard.emulator.kube.discovery import Discovery, types_from_crd
from kfwizard.emulator.kube.endpoints import EndpointsController
from kfwizard.emulator.kube.events import EVENTS, EventRecorder
from kfwizard.emulator.kube.kfp import InverseProxy
from kfwizard.emulator.kube.kubelet import Kubelet
from kfwizard.emulator.kube.lifecycle import CRDS, Lifecycle
from kfwizard.emulator.kube.logs import LogBook
from kfwizard.emulator.kube.nodes import NodeSpec
from kfwizard.emulator.kube.podservers import PodServers
from kfwizard.emulator.kube.podutil import condition, is_ready, is_terminal
from kfwizard.emulator.kube.proxy import ServiceProxy
from kfwizard.emulator.kube.registry import NAMESPACES, Registry
from kfwizard.emulator.kube.rest import RestApi
from kfwizard.emulator.kube.reviews import Reviews
from kfwizard.emulator.kube.scheduler import Scheduler
from kfwizard.emulator.kube.storage import Storage
from kfwizard.emulator.kube.store import Event, Store, meta
from kfwizard.emulator.kube.workloads import Workloads

_OWNER_TASKS = {
    "ReplicaSet": "replicaset",
    "StatefulSet": "statefulset",
    "DaemonSet": "daemonset",
    "Job": "job",
    "Deployment": "deployment",
}
_KEY_TASKS = {
    ("apps", "deployments"): "deployment",
    ("apps", "replicasets"): "replicaset",
    ("apps", "statefulsets"): "statefulset",
    ("apps", "daemonsets"): "daemonset",
    ("batch", "jobs"): "job",
    ("", "persistentvolumeclaims"): "pvc",
}


class Stats(Counter):
    """Request counts by (verb, resource), e.g. ``stats[("watch", "deployments")]``."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def count(self, verb: str, resource: str) -> None:
        with self._lock:
            self[(verb, resource)] += 1

    def reset(self) -> None:
        with self._lock:
            self.clear()


class Cluster:
    def __init__(
        self,
        *,
        name: str,
        version: str,
        nodes: list[NodeSpec],
        speed: float,
        faults: Faults,
        gke: bool,
        zone: str,
        project: str,
    ) -> None:
        self.name = name
        self.version = version
        self.node_specs = list(nodes)
        self.nodes_set = False
        """True once ``set_nodes`` chose the nodes (a resize): they win over the fault."""
        self.speed = speed
        self.faults = faults
        self.gke = gke
        self.zone = zone
        self.project = project
        self.ca_pem: str | None = None
        self.available_at: dict[tuple[str, str], float] = {}
        self.stats = Stats()
        self.store = Store()
        self.discovery = Discovery()
        self.store.resolve = self._resolve
        self.registry = Registry(self.store, self.discovery)
        self.admission = Admission(self.store)
        self.reviews = Reviews(self)
        self.recorder = EventRecorder(self)
        self.logs = LogBook(self)
        self.scheduler = Scheduler(self)
        self.kubelet = Kubelet(self)
        self.workloads = Workloads(self)
        self.lifecycle = Lifecycle(self)
        self.storage = Storage(self)
        self.endpoints = EndpointsController(self)
        self.inverse_proxy = InverseProxy(self)
        self.pod_servers = PodServers(self)
        self.proxy = ServiceProxy(self)
        self.rest = RestApi(self)
        self.sim = Simulator(self)
        self._register()
        self.store.listeners.append(self._route)

    # -- wiring ----------------------------------------------------------------------------------
    def _register(self) -> None:
        w, lc, st = self.workloads, self.lifecycle, self.storage
        self.sim.handlers.update(
            {
                "pod": self.kubelet.reconcile,
                "schedule-pending": self.kubelet.retry_unscheduled,
                "deployment": w.deployment,
                "replicaset": w.replicaset,
                "statefulset": w.statefulset,
                "daemonset": w.daemonset,
                "job": w.job,
                "daemonsets-all": self._all_daemonsets,
                "webhook-retry": w.retry_blocked,
                "namespace": lc.namespace,
                "crd": lc.crd,
                "gc": lc.collect,
                "pvc": st.claim,
                "pvc-ns": st.claims_in,
                "pvc-all": st.all_claims,
                "pv-release": st.release_volume,
                "endpoints": self.endpoints.namespace,
                "kfp": self.inverse_proxy.reconcile,
                "pod-gone": self._pod_gone,
            }
        )
        self.sim.fault_watchers.append(self._faults_changed)

    def _resolve(self, api_version: str, kind: str) -> tuple[str, str] | None:
        rt = self.discovery.by_kind(api_version, kind)
        return rt.key if rt else None

    def _route(self, event: Event) -> None:
        """Map a store change to the reconciles it should wake (runs under the store lock)."""
        key, obj = event.key, event.obj
        if key == EVENTS:
            return
        sim = self.sim
        md = meta(obj)
        ns, name = md.get("namespace", "") or "", md.get("name", "")
        if event.type == "DELETED" and md.get("uid"):
            sim.enqueue("gc", "", md["uid"])
        if ns:
            ns_obj = self.store.peek(NAMESPACES, "", ns)
            if ns_obj is not None and meta(ns_obj).get("deletionTimestamp"):
                sim.enqueue("namespace", "", ns)
        for ref in md.get("ownerReferences") or []:
            task = _OWNER_TASKS.get(ref.get("kind", ""))
            if task and ref.get("controller"):
                sim.enqueue(task, ns, ref.get("name", ""))
        if key == ("", "pods"):
            self._route_pod(event, ns, name)
        elif key in _KEY_TASKS:
            sim.enqueue(_KEY_TASKS[key], ns, name)
            if key == ("apps", "deployments") and name == kfp.AGENT:
                sim.enqueue("kfp", ns, name)
            if key == ("", "persistentvolumeclaims") and event.type == "DELETED":
                volume = (obj.get("spec") or {}).get("volumeName")
                if volume:
                    sim.enqueue("pv-release", "", volume)
        elif key == NAMESPACES:
            if event.type != "DELETED":
                sim.enqueue("namespace", "", name)
        elif key == CRDS:
            sim.enqueue("crd", "", name)
        elif key == ("", "nodes"):
            sim.enqueue("daemonsets-all")
            sim.enqueue("schedule-pending")
        elif key == ("storage.k8s.io", "storageclasses"):
            sim.enqueue("pvc-all")
        elif key == ("", "services"):
            sim.enqueue("endpoints", ns)
        elif key == ("", "configmaps") and name == kfp.CONFIGMAP:
            sim.enqueue("kfp", ns, kfp.AGENT)
        else:
            rt = self.discovery.any_version(*key)
            if rt is not None and rt.crd and event.type in ("DELETED", "MODIFIED"):
                crd = self.store.peek(CRDS, "", rt.crd)
                if crd is not None and meta(crd).get("deletionTimestamp"):
                    sim.enqueue("crd", "", rt.crd)

    def _route_pod(self, event: Event, ns: str, name: str) -> None:
        sim = self.sim
        sim.enqueue("endpoints", ns)
        if event.type == "DELETED":
            sim.enqueue("pod-gone", "", meta(event.obj).get("uid", ""))
            sim.enqueue("schedule-pending")
            sim.enqueue("pvc-ns", ns)
            return
        sim.enqueue("pod", ns, name)
        old = event.old
        if old is not None and is_ready(old) != is_ready(event.obj):
            sim.enqueue("webhook-retry")
        if old is not None and not is_terminal(old) and is_terminal(event.obj):
            sim.enqueue("schedule-pending")
            sim.enqueue("pvc-ns", ns)

    def _pod_gone(self, _: str, uid: str) -> None:
        self.kubelet.forget(uid)
        self.logs.forget(uid)

    def _all_daemonsets(self, _: str = "", __: str = "") -> None:
        for ds in self.store.items(("apps", "daemonsets")):
            self.sim.enqueue("daemonset", meta(ds)["namespace"], meta(ds)["name"])

    # -- faults ------------------------------------------------------------------------------------
    def effective_nodes(self) -> list[NodeSpec]:
        """The nodes to show: the small-nodepool fault's one e2-small until nodes are set
        on purpose (a node pool resized or added after creation is honoured, fault or not)."""
        if self.faults.small_nodepool and not self.nodes_set:
            return NodeSpec.for_machine("e2-small", 1, cluster=self.name)
        return list(self.node_specs)

    def _faults_changed(self) -> None:
        for pod in self.store.items(("", "pods")):
            self.sim.enqueue("pod", meta(pod)["namespace"], meta(pod)["name"])
        default = self.registry.default_storage_class()
        if self.faults.no_default_storageclass and default == system.DEFAULT_CLASS:
            system.set_default_class(self, False)
        elif not self.faults.no_default_storageclass and default is None:
            system.set_default_class(self, True)
        wanted = {n.name for n in self.effective_nodes()}
        have = {meta(n)["name"] for n in self.store.items(("", "nodes"))}
        if wanted != have:
            system.sync_nodes(self, self.effective_nodes())

    # -- public helpers ----------------------------------------------------------------------------
    def seed(self) -> None:
        with self.store.lock:
            system.seed(self, self.effective_nodes())

    def set_nodes(self, nodes: list[NodeSpec]) -> None:
        with self.store.lock:
            self.node_specs = list(nodes)
            self.nodes_set = True
            system.sync_nodes(self, self.effective_nodes())

    def set_version(self, version: str) -> None:
        with self.store.lock:
            self.version = version
            system.sync_nodes(self, self.effective_nodes())

    def version_info(self) -> dict[str, Any]:
        core = self.version.split("-", 1)[0].split("+", 1)[0]
        major, minor = [*core.split("."), "0", "0"][:2]
        return {
            "major": major,
            "minor": minor,
            "emulationMajor": major,
            "emulationMinor": minor,
            "minCompatibilityMajor": major,
            "minCompatibilityMinor": str(max(0, int(minor) - 1)) if minor.isdigit() else minor,
            "gitVersion": f"v{self.version}",
            "gitCommit": "c7f3ae0e3c2b3d8b6e0a1f9e2d4c5b6a7f8e9d0c",
            "gitTreeState": "clean",
            "buildDate": "2025-09-01T00:00:00Z",
            "goVersion": "go1.24.6 X:boringcrypto",
            "compiler": "gc",
            "platform": "linux/amd64",
        }

    def kfp_hostname(self, namespace: str = "kubeflow") -> str:
        return kfp.hostname(self.name, self.zone, namespace)

    def resume_after_restore(self) -> None:
        """Serve restored CRDs and wake every controller once."""
        with self.store.lock:
            for crd in self.store.items(CRDS):
                established = condition(crd, "Established")
                if established and established.get("status") == "True":
                    self.discovery.set_crd(meta(crd)["name"], types_from_crd(crd))
                self.sim.enqueue("crd", "", meta(crd)["name"])
            for key, task in _KEY_TASKS.items():
                for obj in self.store.items(key):
                    self.sim.enqueue(task, meta(obj).get("namespace", ""), meta(obj)["name"])
            for pod in self.store.items(("", "pods")):
                self.sim.enqueue("pod", meta(pod)["namespace"], meta(pod)["name"])
            for ns in self.store.items(NAMESPACES):
                self.sim.enqueue("namespace", "", meta(ns)["name"])
                self.sim.enqueue("endpoints", meta(ns)["name"])
            for dep in self.store.items(("apps", "deployments")):
                avail = condition(dep, "Available")
                if avail and avail.get("status") == "True":
                    self.available_at.setdefault((meta(dep)["namespace"], meta(dep)["name"]), 0.0)
