"""How emulated GKE clusters come and go over simulated time.

Creating a cluster runs a chain of steps (control plane, node pools, health checks), each
a scheduled event that moves the ``CREATE_CLUSTER`` operation's ``progress.metrics``,
``progress.stages`` and ``detail`` along. The last step starts the cluster's own
Kubernetes API emulator and marks the cluster RUNNING and the operation DONE. A
``zone_stockout`` fault ends the node-pool step instead: the operation is DONE with an
error and GCE_STOCKOUT condition, the cluster is left in ERROR (as GKE leaves it, to be
deleted). Deleting runs a shorter chain and stops the Kubernetes API.

A RUNNING cluster's node pools change the same way: ``setSize``, a new pool and a
deleted pool are operations (``SET_NODE_POOL_SIZE``, ``CREATE_NODE_POOL``,
``DELETE_NODE_POOL``) that tick once per node, then set the cluster's Kubernetes nodes
to match, so a pool grown after a capacity failure shows its new nodes (allocatable CPU
and memory included) to the install's next try. The creation faults (small-nodepool,
zone-stockout) are about making a cluster: a resize or an added pool is honoured with
them on.

A step chain is re-derived from the operation and its cluster, and each operation keeps
the index of its next step, so a saved RUNNING operation carries on where it was after
the emulators restart.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kfwizard.emulator import gke_model as model
from kfwizard.emulator import gke_versions
from kfwizard.emulator.faults import Faults
from kfwizard.emulator.http import ApiError
from kfwizard.emulator.operations import Scheduler, gke_operation_id, rfc3339
from kfwizard.gcp import locations
from kfwizard.gcp.machine_types import get_machine_type

# (metric, stage title, nominal seconds); the deploying stage ticks once per node.
CREATE_STAGES: tuple[tuple[str, str, float], ...] = (
    ("CLUSTER_CONFIGURING", "Creating the control plane", 6.0),
    ("CLUSTER_DEPLOYING", "Creating node pools", 8.0),
    ("CLUSTER_HEALTHCHECKING", "Checking cluster health", 4.0),
)
CONFIGURING_TICKS = 4
HEALTHCHECK_TICKS = 2
DELETE_SECONDS = 6.0
POOL_SECONDS = {
    "CREATE_NODE_POOL": 8.0,
    "DELETE_NODE_POOL": 4.0,
    "SET_NODE_POOL_SIZE": 4.0,
}
"""Nominal length of each node-pool operation (ticks once per node it adds or removes)."""
POOL_WORDS = {
    "CREATE_NODE_POOL": ("Creating node pool {pool}", "created"),
    "DELETE_NODE_POOL": ("Deleting node pool {pool}", "deleted"),
    "SET_NODE_POOL_SIZE": ("Resizing node pool {pool} to {size} per zone", "changed"),
}


class KubeFactory(Protocol):
    def __call__(
        self,
        *,
        name: str,
        version: str,
        nodes: list[Any] | None,
        speed: float,
        faults: Faults,
        state: dict[str, Any] | None,
        zone: str,
        project: str,
    ) -> Any: ...


def default_kube_factory(
    *,
    name: str,
    version: str,
    nodes: list[Any] | None,
    speed: float,
    faults: Faults,
    state: dict[str, Any] | None,
    zone: str,
    project: str,
) -> Any:
    """A started ``KubeEmulator`` (TLS, GKE flavour). Restored from ``state`` when given:
    its objects, nodes, token and CA come back, so saved kubeconfigs stay valid."""
    from kfwizard.emulator.kube import KubeEmulator

    emu = KubeEmulator(
        name=name,
        version=version,
        nodes=nodes,
        speed=speed,
        faults=faults,
        tls=True,
        gke=True,
        state=state,
        zone=zone,
        project=project,
    )
    emu.start()
    return emu


def node_specs(record: ClusterRecord) -> list[Any]:
    """The Kubernetes nodes of a cluster: each pool's machine type x size x zones."""
    from kfwizard.emulator.kube import NodeSpec

    specs: list[Any] = []
    for pool in record.message.node_pools:
        specs.extend(
            NodeSpec.for_machine(
                pool.config.machine_type,
                record.pool_nodes(pool),
                pool=pool.name,
                cluster=record.name,
            )
        )
    return specs


@dataclass
class ClusterRecord:
    project: str
    location: str
    name: str
    message: Any
    """The ``container_v1.Cluster`` as GKE would answer it."""
    kube: Any = None
    """The running ``KubeEmulator`` once the cluster is RUNNING."""
    busy: str | None = None
    """Id of the operation now working on this cluster."""
    kube_state: dict[str, Any] | None = None
    """Saved Kubernetes state to restore when the cluster's API starts again."""
    sizes: dict[str, int] = field(default_factory=dict)
    """Nodes per zone of each pool resized since it was made: GKE keeps a pool's
    ``initialNodeCount`` as it was asked, so the size it has now is kept here."""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.project, self.location, self.name)

    @property
    def zone_count(self) -> int:
        return max(1, len(self.message.locations))

    def pool_nodes(self, pool: Any) -> int:
        """The nodes a pool has now: its size per zone x the zones it spans."""
        zones = len(pool.locations) or self.zone_count
        return self.sizes.get(pool.name, pool.initial_node_count) * zones

    def find_pool(self, name: str) -> Any:
        """The ``NodePool`` of that name (edits to it are the cluster's), else None."""
        return next((p for p in self.message.node_pools if p.name == name), None)

    @property
    def context(self) -> str:
        """The kubeconfig context gcloud would write for this cluster."""
        return f"gke_{self.project}_{self.location}_{self.name}"


@dataclass
class OpRecord:
    project: str
    location: str
    cluster: str
    message: Any
    """The ``container_v1.Operation``."""
    position: int = 0
    """Index of the next step of the operation's chain."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.message.name)


Step = tuple[float, Callable[[], None]]


class Lifecycle:
    """State and time behaviour of GKE clusters; the HTTP layer is in ``gke.py``."""

    def __init__(
        self,
        *,
        speed: float,
        faults: Faults,
        lock: threading.RLock,
        scheduler: Scheduler,
        kube_factory: KubeFactory | None,
        on_change: Callable[[], None] | None,
    ) -> None:
        self.speed = speed
        self.faults = faults
        self.lock = lock
        self.scheduler = scheduler
        self.kube_factory: KubeFactory = kube_factory or default_kube_factory
        self.on_change = on_change
        self.clusters: dict[tuple[str, str, str], ClusterRecord] = {}
        self.operations: dict[tuple[str, str], OpRecord] = {}

    def project_number(self, project: str) -> str:  # overridden by GkeEmulator
        from kfwizard.emulator.projects import project_number

        return project_number(project)

    # -- create -----------------------------------------------------------------------
    def create_cluster(self, where: model.Where, requested: Any) -> OpRecord:
        """Validate like GKE, store the PROVISIONING cluster, start its CREATE op."""
        from google.cloud import container_v1

        model.check_location(where.location)
        model.check_cluster_name(requested.name)
        if (where.project, where.location, requested.name) in self.clusters:
            raise ApiError(409, f"Already exists: {where.path('clusters', requested.name)}.")
        autopilot = bool(requested.autopilot.enabled)
        if autopilot and locations.is_zone(where.location):
            raise ApiError(400, "Autopilot clusters must be regional clusters.")
        zones = model.cluster_zones(where.location, list(requested.locations))
        pools = model.normalise_pools(requested, autopilot)
        channel = container_v1.ReleaseChannel.Channel(requested.release_channel.channel).name
        version = gke_versions.resolve(requested.initial_cluster_version, channel)
        cpus = model.requested_cpus(pools, len(zones))
        if self.faults.cpu_quota_exceeded:
            raise model.quota_error(where.project, cpus, self._cpus_in_use(where))
        if self.faults.small_nodepool:
            pools = [_small_pool(pools[0])]
            zones = zones[:1] if locations.is_zone(where.location) else zones
        cluster = _new_cluster(where, requested, pools, zones, version, autopilot)
        if self.faults.small_nodepool:
            cluster.current_node_count = 1
        record = ClusterRecord(where.project, where.location, requested.name, cluster)
        self.clusters[record.key] = record
        op = self._new_op(record, container_v1.Operation.Type.CREATE_CLUSTER, where.legacy)
        self._run_next(op)
        return op

    def add_running_cluster(
        self,
        project: str,
        location: str,
        name: str,
        *,
        machine_type: str = "n1-standard-2",
        nodes: int = 3,
        version: str | None = None,
    ) -> ClusterRecord:
        """Make a RUNNING cluster at once (set-up for tests and the stack), no operation."""
        from google.cloud import container_v1

        with self.lock:
            requested = container_v1.Cluster(
                name=name,
                node_pools=[
                    container_v1.NodePool(
                        name=model.DEFAULT_POOL,
                        initial_node_count=nodes,
                        config=container_v1.NodeConfig(machine_type=machine_type),
                    )
                ],
                initial_cluster_version=version or "",
            )
            where = model.Where(project, location)
            model.check_location(location)
            model.check_cluster_name(name)
            if where.project and (project, location, name) in self.clusters:
                raise ApiError(409, f"Already exists: {where.path('clusters', name)}.")
            zones = model.cluster_zones(location, [])
            pools = model.normalise_pools(requested, False)
            resolved = gke_versions.resolve(version)
            cluster = _new_cluster(where, requested, pools, zones, resolved, False)
            record = ClusterRecord(project, location, name, cluster)
            self.clusters[record.key] = record
            self._make_running(record)
            return record

    def _cpus_in_use(self, where: model.Where) -> float:
        from google.cloud import container_v1

        region = locations.region_of(where.location)
        used = 0.0
        for record in self.clusters.values():
            if record.message.status == container_v1.Cluster.Status.ERROR:
                continue  # its nodes never came up
            if record.project == where.project and locations.region_of(record.location) == region:
                for pool in record.message.node_pools:
                    machine = get_machine_type(pool.config.machine_type)
                    used += (machine.vcpus if machine else 2) * record.pool_nodes(pool)
        return used

    # -- delete -----------------------------------------------------------------------
    def delete_cluster(self, record: ClusterRecord) -> OpRecord:
        from google.cloud import container_v1

        self._check_idle(record)
        record.message.status = container_v1.Cluster.Status.STOPPING
        record.message.status_message = ""
        legacy = "/zones/" in record.message.self_link
        op = self._new_op(record, container_v1.Operation.Type.DELETE_CLUSTER, legacy)
        self._run_next(op)
        return op

    def _check_idle(self, record: ClusterRecord) -> None:
        """GKE runs one operation at a time on a cluster: FAILED_PRECONDITION else."""
        if record.busy:
            current = self.operations.get((record.project, record.busy))
            kind = current.message.operation_type.name if current else ""
            raise model.busy_error(record.busy, kind, record.name)

    def _check_pools_changeable(self, record: ClusterRecord) -> None:
        from google.cloud import container_v1

        self._check_idle(record)
        status = container_v1.Cluster.Status(record.message.status)
        if status != container_v1.Cluster.Status.RUNNING:
            raise model.not_running_error(record.name, status.name)

    # -- node pools -------------------------------------------------------------------
    def set_node_pool_size(self, record: ClusterRecord, pool: Any, count: int) -> OpRecord:
        """``setSize``: the pool grows or shrinks to ``count`` nodes per zone."""
        from google.cloud import container_v1

        model.check_node_count(count)
        self._check_pools_changeable(record)
        pool.status = container_v1.NodePool.Status.RECONCILING
        kind = container_v1.Operation.Type.SET_NODE_POOL_SIZE
        return self._start_pool_op(record, pool, kind, {"size": count})

    def create_node_pool(self, record: ClusterRecord, pool: Any, legacy: bool) -> OpRecord:
        """Add a checked pool (``gke_model.new_pool``) to a RUNNING cluster."""
        from google.cloud import container_v1

        self._check_pools_changeable(record)
        if record.message.autopilot.enabled:
            raise ApiError(400, "Autopilot clusters do not support node pool management.")
        if record.find_pool(pool.name) is not None:
            kind = "zones" if legacy else "locations"
            path = "/".join(
                ("projects", record.project, kind, record.location, "clusters", record.name)
            )
            raise ApiError(409, f"Already exists: {path}/nodePools/{pool.name}.")
        region = locations.region_of(record.location)
        for zone in pool.locations:
            if not locations.is_zone(zone) or locations.region_of(zone) != region:
                raise ApiError(400, f'Location "{zone}" is not a zone of region "{region}".')
        stored = _stored_pool(
            pool,
            record.project,
            record.name,
            record.message.self_link,
            list(pool.locations) or list(record.message.locations),
            pool.version or record.message.current_node_version,
        )
        record.message.node_pools.append(stored)
        record.message.instance_group_urls.extend(stored.instance_group_urls)
        create = container_v1.Operation.Type.CREATE_NODE_POOL
        return self._start_pool_op(record, stored, create, {})

    def delete_node_pool(self, record: ClusterRecord, pool: Any) -> OpRecord:
        from google.cloud import container_v1

        self._check_pools_changeable(record)
        pool.status = container_v1.NodePool.Status.STOPPING
        kind = container_v1.Operation.Type.DELETE_NODE_POOL
        return self._start_pool_op(record, pool, kind, {})

    def _start_pool_op(
        self, record: ClusterRecord, pool: Any, kind: Any, extra: dict[str, Any]
    ) -> OpRecord:
        legacy = "/zones/" in record.message.self_link
        op = self._new_op(record, kind, legacy)
        op.message.target_link = f"{op.message.target_link}/nodePools/{pool.name}"
        op.extra = {"pool": pool.name, **extra}
        self._run_next(op)
        return op

    def _pool_steps(self, op: OpRecord, record: ClusterRecord) -> list[Step]:
        """Start, one tick per node added or removed, then the nodes change at once."""
        kind = op.message.operation_type.name
        pool = record.find_pool(str(op.extra.get("pool", "")))
        if pool is None:
            return []
        now = record.pool_nodes(pool)
        if kind == "SET_NODE_POOL_SIZE":
            zones = len(pool.locations) or record.zone_count
            total = abs(int(op.extra.get("size", 0)) * zones - now)
        else:
            total = now
        ticks = max(1, total)
        steps: list[Step] = [(0.0, functools.partial(self._pool_progress, op, 0, total))]
        for tick in range(1, ticks + 1):
            done = min(tick, total)
            steps.append(
                (
                    POOL_SECONDS[kind] / ticks,
                    functools.partial(self._pool_progress, op, done, total),
                )
            )
        steps.append((0.0, lambda: self._finish_pool_op(op, record)))
        return steps

    def _pool_progress(self, op: OpRecord, done: int, total: int) -> None:
        from google.cloud import container_v1

        kind = op.message.operation_type.name
        title, verb = POOL_WORDS[kind]
        text = title.format(pool=op.extra.get("pool"), size=op.extra.get("size"))
        op.message.detail = f"{text}: {done} of {total} nodes {verb}"
        op.message.progress = container_v1.OperationProgress(
            status=container_v1.Operation.Status.RUNNING,
            metrics=[
                container_v1.OperationProgress.Metric(name="NODES", int_value=done),
                container_v1.OperationProgress.Metric(name="NODES_TOTAL", int_value=total),
            ],
        )

    def _finish_pool_op(self, op: OpRecord, record: ClusterRecord) -> None:
        """The pool's new size (or the pool itself) is real: the cluster's count and its
        Kubernetes nodes follow, and the operation is DONE."""
        from google.cloud import container_v1

        kind = op.message.operation_type.name
        name = str(op.extra.get("pool", ""))
        pool = record.find_pool(name)
        if kind == "DELETE_NODE_POOL":
            if pool is not None:
                gone = set(pool.instance_group_urls)
                record.message.instance_group_urls = [
                    url for url in record.message.instance_group_urls if url not in gone
                ]
            record.message.node_pools = [p for p in record.message.node_pools if p.name != name]
            record.sizes.pop(name, None)
        elif pool is not None:
            if kind == "SET_NODE_POOL_SIZE":
                record.sizes[name] = int(op.extra.get("size", 0))
            pool.status = container_v1.NodePool.Status.RUNNING
        record.message.current_node_count = sum(
            record.pool_nodes(p) for p in record.message.node_pools
        )
        if record.kube is not None:
            record.kube.set_nodes(node_specs(record))
        op.message.status = container_v1.Operation.Status.DONE
        op.message.detail = ""
        op.message.end_time = rfc3339()
        _finish_progress(op, failed=False)
        record.busy = None
        self._changed()

    # -- operations and their step chains ---------------------------------------------
    def _new_op(self, record: ClusterRecord, kind: Any, legacy: bool) -> OpRecord:
        from google.cloud import container_v1

        op_id = gke_operation_id()
        where = "zones" if locations.is_zone(record.location) else "locations"
        number = self.project_number(record.project)
        base = f"{model.API_ROOT}/projects/{number}/{where}/{record.location}"
        message = container_v1.Operation(
            name=op_id,
            zone=record.location,
            location=record.location,
            operation_type=kind,
            status=container_v1.Operation.Status.RUNNING,
            self_link=f"{base}/operations/{op_id}",
            target_link=f"{base}/clusters/{record.name}",
            start_time=rfc3339(),
        )
        op = OpRecord(record.project, record.location, record.name, message)
        self.operations[(record.project, op_id)] = op
        record.busy = op_id
        return op

    def _steps(self, op: OpRecord) -> list[Step]:
        from google.cloud import container_v1

        record = self.clusters.get((op.project, op.location, op.cluster))
        if record is None:
            return []
        if op.message.operation_type.name in POOL_SECONDS:
            return self._pool_steps(op, record)
        if op.message.operation_type == container_v1.Operation.Type.DELETE_CLUSTER:
            return [
                (0.0, lambda: self._set_detail(op, "Deleting node pools")),
                (DELETE_SECONDS / 2, lambda: self._set_detail(op, "Deleting the control plane")),
                (DELETE_SECONDS / 2, lambda: self._finish_delete(op, record)),
            ]
        nodes = sum(p.initial_node_count for p in record.message.node_pools) * record.zone_count
        ticks = (CONFIGURING_TICKS, max(1, nodes), HEALTHCHECK_TICKS)
        steps: list[Step] = [(0.0, lambda: self._progress(op, record, 0, 0, ticks))]
        for stage, (_, _, seconds) in enumerate(CREATE_STAGES):
            for tick in range(1, ticks[stage] + 1):
                steps.append(
                    (
                        seconds / ticks[stage],
                        functools.partial(self._progress, op, record, stage, tick, ticks),
                    )
                )
                if stage == 1 and tick == ticks[1]:
                    steps.append((0.0, lambda: self._check_stockout(op, record)))
        steps.append((0.0, lambda: self._finish_create(op, record)))
        return steps

    def _run_next(self, op: OpRecord) -> None:
        """Run the operation's next step now and schedule the one after it."""
        from google.cloud import container_v1

        steps = self._steps(op)
        if op.message.status == container_v1.Operation.Status.DONE or op.position >= len(steps):
            return
        _, action = steps[op.position]
        op.position += 1
        action()
        if op.message.status != container_v1.Operation.Status.DONE and op.position < len(steps):
            delay = steps[op.position][0]
            self.scheduler.after(delay, lambda: self._run_next(op))

    def resume_operations(self) -> None:
        """After a restore: carry on every operation that was still RUNNING."""
        from google.cloud import container_v1

        for op in self.operations.values():
            if op.message.status == container_v1.Operation.Status.RUNNING:
                steps = self._steps(op)
                if op.position < len(steps):
                    self.scheduler.after(
                        steps[op.position][0], functools.partial(self._run_next, op)
                    )

    def _set_detail(self, op: OpRecord, text: str) -> None:
        op.message.detail = text

    def _progress(
        self, op: OpRecord, record: ClusterRecord, stage: int, tick: int, ticks: tuple[int, ...]
    ) -> None:
        from google.cloud import container_v1

        status = container_v1.Operation.Status
        metrics = []
        stages = []
        for index, (metric, title, _) in enumerate(CREATE_STAGES):
            done = ticks[index] if index < stage else (tick if index == stage else 0)
            metrics += [
                container_v1.OperationProgress.Metric(name=metric, int_value=done),
                container_v1.OperationProgress.Metric(
                    name=f"{metric}_TOTAL", int_value=ticks[index]
                ),
            ]
            state = (
                status.DONE
                if done >= ticks[index]
                else (status.RUNNING if index == stage else status.PENDING)
            )
            stages.append(container_v1.OperationProgress(name=title, status=state))
        op.message.progress = container_v1.OperationProgress(
            status=status.RUNNING, metrics=metrics, stages=stages
        )
        title = CREATE_STAGES[stage][1]
        if stage == 1:
            nodes = ticks[1]
            ready = min(tick, nodes)
            pools = ", ".join(p.name for p in record.message.node_pools)
            op.message.detail = f"{title} ({pools}): {ready} of {nodes} nodes created"
        else:
            op.message.detail = title

    def _check_stockout(self, op: OpRecord, record: ClusterRecord) -> None:
        from google.cloud import container_v1
        from google.rpc import code_pb2, status_pb2

        if not self.faults.zone_stockout:
            return
        zone = record.message.locations[0] if record.message.locations else record.location
        pool = record.message.node_pools[0]
        nodes = pool.initial_node_count * record.zone_count
        text = model.stockout_message(record.project, zone, record.name, pool.name, nodes)
        condition = container_v1.StatusCondition(
            code=container_v1.StatusCondition.Code.GCE_STOCKOUT,
            message=text,
            canonical_code=code_pb2.RESOURCE_EXHAUSTED,
        )
        op.message.status = container_v1.Operation.Status.DONE
        op.message.status_message = text
        op.message.detail = text
        op.message.end_time = rfc3339()
        op.message.cluster_conditions = [condition]
        op.message.error = status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message=text)
        _finish_progress(op, failed=True)
        record.message.status = container_v1.Cluster.Status.ERROR
        record.message.status_message = text
        record.message.conditions = [condition]
        for pool_message in record.message.node_pools:
            pool_message.status = container_v1.NodePool.Status.ERROR
            pool_message.status_message = text
        record.busy = None
        self._changed()

    def _finish_create(self, op: OpRecord, record: ClusterRecord) -> None:
        from google.cloud import container_v1

        self._make_running(record)
        op.message.status = container_v1.Operation.Status.DONE
        op.message.detail = ""
        op.message.end_time = rfc3339()
        _finish_progress(op, failed=False)

    def _make_running(self, record: ClusterRecord) -> None:
        from google.cloud import container_v1

        message = record.message
        if record.kube is None:
            restoring = record.kube_state is not None
            record.kube = self.kube_factory(
                name=record.name,
                version=message.current_master_version,
                nodes=None if restoring else node_specs(record),
                speed=self.speed,
                faults=self.faults,
                state=record.kube_state,
                zone=message.locations[0] if message.locations else record.location,
                project=record.project,
            )
            record.kube_state = None
        message.endpoint = record.kube.endpoint
        message.master_auth.cluster_ca_certificate = record.kube.ca_b64
        message.status = container_v1.Cluster.Status.RUNNING
        message.status_message = ""
        for pool in message.node_pools:
            pool.status = container_v1.NodePool.Status.RUNNING
        record.busy = None
        self._changed()

    def _finish_delete(self, op: OpRecord, record: ClusterRecord) -> None:
        from google.cloud import container_v1

        if record.kube is not None:
            record.kube.stop()
            record.kube = None
        self.clusters.pop(record.key, None)
        op.message.status = container_v1.Operation.Status.DONE
        op.message.detail = ""
        op.message.end_time = rfc3339()
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # -- persistence ------------------------------------------------------------------
    def to_state(self, kube_dir: Path) -> dict[str, Any]:
        """Clusters and operations as JSON-able data; each running cluster's Kubernetes
        state goes to ``kube_dir/<context>.json``."""
        from google.cloud import container_v1

        from kfwizard.emulator.wire import message_dict

        with self.lock:
            clusters = []
            for record in self.clusters.values():
                kube_file = None
                if record.kube is not None or record.kube_state is not None:
                    kube_dir.mkdir(parents=True, exist_ok=True)
                    target = kube_dir / f"{record.context}.json"
                    if record.kube is not None:
                        record.kube.save_state(target)
                    else:
                        target.write_text(json.dumps(record.kube_state), encoding="utf-8")
                    kube_file = target.name
                clusters.append(
                    {
                        "project": record.project,
                        "location": record.location,
                        "name": record.name,
                        "busy": record.busy,
                        "sizes": dict(record.sizes),
                        "cluster": message_dict(record.message, int_enums=False),
                        "kube_state": kube_file,
                    }
                )
            operations = [
                {
                    "project": op.project,
                    "location": op.location,
                    "cluster": op.cluster,
                    "position": op.position,
                    "extra": op.extra,
                    "operation": container_v1.Operation.to_dict(
                        op.message,
                        use_integers_for_enums=False,
                        preserving_proto_field_name=False,
                        always_print_fields_with_no_presence=False,
                    ),
                }
                for op in self.operations.values()
            ]
            return {"clusters": clusters, "operations": operations}

    def load_state(self, data: dict[str, Any], kube_dir: Path) -> None:
        """Bring saved clusters back (RUNNING ones get their Kubernetes API again, on its
        old port while that is free) and carry on unfinished operations."""
        from google.cloud import container_v1

        from kfwizard.emulator.wire import parse_message

        with self.lock:
            for raw in data.get("clusters") or ():
                message = parse_message(container_v1.Cluster, raw["cluster"])
                record = ClusterRecord(raw["project"], raw["location"], raw["name"], message)
                record.busy = raw.get("busy")
                record.sizes = {str(k): int(v) for k, v in (raw.get("sizes") or {}).items()}
                if raw.get("kube_state"):
                    path = kube_dir / raw["kube_state"]
                    try:
                        record.kube_state = json.loads(path.read_text(encoding="utf-8"))
                    except (OSError, ValueError):
                        record.kube_state = None
                self.clusters[record.key] = record
            for raw in data.get("operations") or ():
                message = parse_message(container_v1.Operation, raw["operation"])
                op = OpRecord(raw["project"], raw["location"], raw["cluster"], message)
                op.position = int(raw.get("position") or 0)
                op.extra = dict(raw.get("extra") or {})
                self.operations[(op.project, op.id)] = op
            for record in list(self.clusters.values()):
                if record.message.status == container_v1.Cluster.Status.RUNNING:
                    busy = record.busy
                    record.message.endpoint = ""
                    self._make_running(record)
                    record.busy = busy
            self.resume_operations()

    def stop_clusters(self) -> None:
        """Stop every cluster's Kubernetes API (the emulators are shutting down)."""
        with self.lock:
            for record in self.clusters.values():
                if record.kube is not None:
                    record.kube.stop()
                    record.kube = None


def _finish_progress(op: OpRecord, failed: bool) -> None:
    from google.cloud import container_v1

    status = container_v1.Operation.Status
    progress = op.message.progress
    progress.status = status.DONE
    if not failed:
        for metric in progress.metrics:
            if not metric.name.endswith("_TOTAL"):
                total = next(
                    (m.int_value for m in progress.metrics if m.name == f"{metric.name}_TOTAL"), 0
                )
                metric.int_value = total
        for stage in progress.stages:
            stage.status = status.DONE
    op.message.progress = progress


def _small_pool(pool: Any) -> Any:
    """The small-nodepool fault: whatever was asked, one e2-small node."""
    from google.cloud import container_v1

    small = container_v1.NodePool(pool)
    small.initial_node_count = 1
    small.config.machine_type = "e2-small"
    return small


def _new_cluster(
    where: model.Where,
    requested: Any,
    pools: list[Any],
    zones: list[str],
    version: str,
    autopilot: bool,
) -> Any:
    """The Cluster GKE stores for a create request, still PROVISIONING."""
    from google.cloud import container_v1

    project, location, name = where.project, where.location, requested.name
    region = locations.region_of(location)
    kind = "zones" if locations.is_zone(location) else "locations"
    self_link = f"{model.API_ROOT}/projects/{project}/{kind}/{location}/clusters/{name}"
    cluster = container_v1.Cluster(requested)
    cluster.initial_node_count = 0
    cluster.node_config = container_v1.NodeConfig(pools[0].config)
    cluster.location = location
    cluster.zone = location
    cluster.locations = zones
    cluster.self_link = self_link
    cluster.status = container_v1.Cluster.Status.PROVISIONING  # type: ignore[assignment]
    cluster.create_time = rfc3339()
    cluster.initial_cluster_version = version
    cluster.current_master_version = version
    cluster.current_node_version = version
    cluster.id = model.cluster_id()
    cluster.network = cluster.network or "default"
    cluster.subnetwork = cluster.subnetwork or "default"
    cluster.logging_service = cluster.logging_service or "logging.googleapis.com/kubernetes"
    cluster.monitoring_service = (
        cluster.monitoring_service or "monitoring.googleapis.com/kubernetes"
    )
    cluster.cluster_ipv4_cidr = cluster.cluster_ipv4_cidr or "10.112.0.0/14"
    cluster.services_ipv4_cidr = "34.118.224.0/20"
    cluster.node_ipv4_cidr_size = 24
    cluster.network_config.network = f"projects/{project}/global/networks/{cluster.network}"
    cluster.network_config.subnetwork = (
        f"projects/{project}/regions/{region}/subnetworks/{cluster.subnetwork}"
    )
    if not cluster.release_channel.channel:
        cluster.release_channel.channel = container_v1.ReleaseChannel.Channel.REGULAR  # type: ignore[assignment]
    cluster.autopilot.enabled = autopilot
    cluster.label_fingerprint = "78cdf2f6"
    cluster.etag = model.cluster_id()[:8]
    cluster.current_node_count = sum(p.initial_node_count for p in pools) * len(zones)
    cluster.legacy_abac = container_v1.LegacyAbac(enabled=False)
    stored = [_stored_pool(pool, project, name, self_link, zones, version) for pool in pools]
    cluster.node_pools = stored
    cluster.instance_group_urls = [url for p in stored for url in p.instance_group_urls]
    return cluster


def _stored_pool(
    pool: Any, project: str, cluster: str, cluster_link: str, zones: list[str], version: str
) -> Any:
    """A node pool as GKE stores it, still PROVISIONING: links, zones, instance groups,
    auto-upgrade and auto-repair on, surge upgrades."""
    from google.cloud import container_v1

    p = container_v1.NodePool(pool)
    p.version = version
    p.status = container_v1.NodePool.Status.PROVISIONING  # type: ignore[assignment]
    p.self_link = f"{cluster_link}/nodePools/{p.name}"
    p.locations = zones
    p.instance_group_urls = [model.instance_group_url(project, z, cluster, p.name) for z in zones]
    p.management = container_v1.NodeManagement(auto_upgrade=True, auto_repair=True)
    p.upgrade_settings = container_v1.NodePool.UpgradeSettings(
        max_surge=1, strategy=container_v1.NodePoolUpdateStrategy.SURGE
    )
    p.pod_ipv4_cidr_size = 24
    p.etag = model.cluster_id()[:8]
    return p
