"""GKE (``container.googleapis.com``) v1 REST emulator.

Answers ``container_v1.ClusterManagerClient(transport="rest")`` and gcloud on both URL
forms (``projects/*/locations/*`` and the legacy ``projects/*/zones/*``): clusters create /
get / list (one location or ``-``) / delete, node pools list / get / create / delete and
``setSize`` (also at the zonal client's ``.../nodePools/{pool}/setSize``), operations get
/ list, ``serverConfig``. Requests are parsed and answers rendered with the client's own
proto-plus types, so field names, int-or-name enums and defaults match the wire.

Clusters live in simulated time (``lifecycle.py``): PROVISIONING with an operation whose
``progress`` and ``detail`` move along, then RUNNING with a real Kubernetes API of their
own (``KubeEmulator``), whose endpoint and CA are the cluster's ``endpoint`` and
``masterAuth.clusterCaCertificate``. Deleting stops it. Node pool changes are operations
too, and their end changes the cluster's Kubernetes nodes (``gke_lifecycle``).
Operations stay listable after they finish, so a client that restarts can find and
follow the one it started.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from kfwizard.emulator import gke_model as model
from kfwizard.emulator import gke_versions
from kfwizard.emulator.faults import Faults
from kfwizard.emulator.gke_lifecycle import ClusterRecord, KubeFactory, Lifecycle, OpRecord
from kfwizard.emulator.http import ApiError, Request, Response, route
from kfwizard.emulator.operations import Scheduler
from kfwizard.emulator.projects import project_number
from kfwizard.emulator.served import ServedEmulator
from kfwizard.emulator.serviceusage import ServiceUsageEmulator
from kfwizard.emulator.wire import message_dict, parse_message

CONTAINER_API = "container.googleapis.com"


class GkeEmulator(ServedEmulator, Lifecycle):
    """Clusters and operations per project behind a loopback GKE v1 REST endpoint."""

    def __init__(
        self,
        *,
        speed: float = 0.0,
        faults: Faults | None = None,
        services: ServiceUsageEmulator | None = None,
        kube_factory: KubeFactory | None = None,
        on_change: Callable[[], None] | None = None,
        lock: threading.RLock | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        lock = lock or threading.RLock()
        Lifecycle.__init__(
            self,
            speed=speed,
            faults=faults if faults is not None else Faults(),
            lock=lock,
            scheduler=self._own_time(scheduler, speed, lock, "gke-time"),
            kube_factory=kube_factory,
            on_change=on_change,
        )
        self.services = services
        self._serve("gke", self._routes(), faults=self.faults, service=CONTAINER_API)

    # -- lifecycle ------------------------------------------------------------------
    def stop(self) -> None:
        super().stop()
        self.stop_clusters()  # their Kubernetes APIs are servers of their own

    # -- routes -----------------------------------------------------------------------
    def _routes(self) -> list:
        routes = []
        for kind in ("locations", "zones"):
            base = "/v1/projects/{project}/" + kind + "/{location}"
            c = base + "/clusters/{cluster}"
            routes += [
                route("GET", base + "/clusters", self._list_clusters),
                route("POST", base + "/clusters", self._create_cluster),
                route("GET", c, self._get_cluster),
                route("DELETE", c, self._delete_cluster),
                route("GET", c + "/nodePools", self._list_node_pools),
                route("POST", c + "/nodePools", self._create_node_pool),
                route("GET", c + "/nodePools/{pool}", self._get_node_pool),
                route("DELETE", c + "/nodePools/{pool}", self._delete_node_pool),
                route("POST", c + "/nodePools/{pool}:setSize", self._set_node_pool_size),
                route("GET", base + "/operations", self._list_operations),
                route("GET", base + "/operations/{operation}", self._get_operation),
            ]
        legacy_pool = "/v1/projects/{project}/zones/{location}/clusters/{cluster}/nodePools/{pool}"
        routes += [
            route("POST", legacy_pool + "/setSize", self._set_node_pool_size),
            route("GET", "/v1/projects/{project}/locations/{location}/serverConfig", self._config),
            route("GET", "/v1/projects/{project}/zones/{location}/serverconfig", self._config),
        ]
        return routes

    def _where(self, req: Request, *, allow_any: bool = False) -> model.Where:
        where = model.Where(
            req.params["project"], req.params["location"], legacy="/zones/" in req.path
        )
        if self.services is not None and not self.services.is_enabled(where.project, CONTAINER_API):
            raise model.service_disabled_error(self.services.project(where.project).number)
        model.check_location(where.location, allow_any=allow_any)
        return where

    @staticmethod
    def _json(message: Any, req: Request) -> Response:
        return Response(200, message_dict(message, int_enums=req.int_enums))

    def _config(self, req: Request) -> Response:
        self._where(req)
        return Response(200, gke_versions.server_config(req.int_enums))

    def _create_cluster(self, req: Request) -> Response:
        from google.cloud import container_v1

        where = self._where(req)
        request = parse_message(container_v1.CreateClusterRequest, req.json())
        answer = self.faults.next_create_answer()
        if answer is not None and answer < 500:
            raise _create_refused(answer, where.project)
        with self.lock:
            op = self.create_cluster(where, request.cluster)
            if answer is not None:  # created; the answer is lost on its way back
                raise ApiError(answer, _CREATE_LOST.get(answer, "Internal error encountered."))
            return self._json(op.message, req)

    def _get_cluster(self, req: Request) -> Response:
        where = self._where(req, allow_any=True)
        with self.lock:
            return self._json(self.find(where, req.params["cluster"]).message, req)

    def _list_clusters(self, req: Request) -> Response:
        from google.cloud import container_v1

        where = self._where(req, allow_any=True)
        with self.lock:
            found = [
                r.message
                for r in self.clusters.values()
                if r.project == where.project and where.location in ("-", r.location)
            ]
            return self._json(container_v1.ListClustersResponse(clusters=found), req)

    def _delete_cluster(self, req: Request) -> Response:
        where = self._where(req, allow_any=True)
        with self.lock:
            op = self.delete_cluster(self.find(where, req.params["cluster"]))
            return self._json(op.message, req)

    def _list_node_pools(self, req: Request) -> Response:
        from google.cloud import container_v1

        where = self._where(req, allow_any=True)
        with self.lock:
            record = self.find(where, req.params["cluster"])
            pools = list(record.message.node_pools)
            return self._json(container_v1.ListNodePoolsResponse(node_pools=pools), req)

    def _get_node_pool(self, req: Request) -> Response:
        where = self._where(req, allow_any=True)
        with self.lock:
            record = self.find(where, req.params["cluster"])
            return self._json(self._pool(where, record, req.params["pool"]), req)

    def _create_node_pool(self, req: Request) -> Response:
        from google.cloud import container_v1

        where = self._where(req)
        request = parse_message(container_v1.CreateNodePoolRequest, req.json())
        pool = model.new_pool(request)
        with self.lock:
            record = self.find(where, req.params["cluster"])
            return self._json(self.create_node_pool(record, pool, where.legacy).message, req)

    def _delete_node_pool(self, req: Request) -> Response:
        where = self._where(req)
        with self.lock:
            record = self.find(where, req.params["cluster"])
            pool = self._pool(where, record, req.params["pool"])
            return self._json(self.delete_node_pool(record, pool).message, req)

    def _set_node_pool_size(self, req: Request) -> Response:
        from google.cloud import container_v1

        where = self._where(req)
        request = parse_message(container_v1.SetNodePoolSizeRequest, req.json())
        with self.lock:
            record = self.find(where, req.params["cluster"])
            pool = self._pool(where, record, req.params["pool"])
            op = self.set_node_pool_size(record, pool, request.node_count)
            return self._json(op.message, req)

    @staticmethod
    def _pool(where: model.Where, record: ClusterRecord, name: str) -> Any:
        pool = record.find_pool(name)
        if pool is None:
            raise model.not_found(where.path("clusters", record.name, "nodePools", name))
        return pool

    def _get_operation(self, req: Request) -> Response:
        where = self._where(req, allow_any=True)
        with self.lock:
            op = self.operations.get((where.project, req.params["operation"]))
            if op is None or where.location not in ("-", op.location):
                raise model.not_found(where.path("operations", req.params["operation"]))
            return self._json(op.message, req)

    def _list_operations(self, req: Request) -> Response:
        from google.cloud import container_v1

        where = self._where(req, allow_any=True)
        with self.lock:
            ops = [
                o.message
                for o in self.operations.values()
                if o.project == where.project and where.location in ("-", o.location)
            ]
            return self._json(container_v1.ListOperationsResponse(operations=ops), req)

    # -- lookups ----------------------------------------------------------------------
    def find(self, where: model.Where, name: str) -> ClusterRecord:
        """The cluster named in a request (``-`` as location finds it anywhere)."""
        if where.location == "-":
            matches = [
                r for r in self.clusters.values() if r.project == where.project and r.name == name
            ]
            if len(matches) == 1:
                return matches[0]
        else:
            record = self.clusters.get((where.project, where.location, name))
            if record is not None:
                return record
        raise model.not_found(where.path("clusters", name))

    def cluster(self, project: str, name: str, location: str | None = None) -> ClusterRecord:
        """A cluster by name (location optional when the name is unique in the project)."""
        with self.lock:
            return self.find(model.Where(project, location or "-"), name)

    def operation(self, project: str, op_id: str) -> OpRecord:
        with self.lock:
            op = self.operations.get((project, op_id))
            if op is None:
                raise KeyError(op_id)
            return op

    def project_number(self, project: str) -> str:
        if self.services is not None:
            return self.services.project(project).number
        return project_number(project)


_CREATE_LOST = {
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The request timed out. Please try again.",
}
"""What GKE's front end answers a create whose answer it lost (``create_answers``)."""


def _create_refused(code: int, project: str) -> ApiError:
    """GKE's answer to a create it refuses outright (``create_answers``): no operation."""
    if code == 403:
        return ApiError(
            403,
            f'Required "container.clusters.create" permission(s) for "projects/{project}".',
        )
    return ApiError(code, "Request contains an invalid argument.")


__all__ = ["ApiError", "ClusterRecord", "GkeEmulator", "OpRecord"]
