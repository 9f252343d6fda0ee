"""The shapes of GKE objects and the words of GKE errors, kept apart from the server.

Everything here is pure: from a ``CreateClusterRequest`` to the ``Cluster`` GKE would
store (defaults filled in the way real GKE fills them: ``default-pool``, gke-default
scopes, COS_CONTAINERD, 100 GB pd-balanced disks, the zones of a regional cluster), and
the error texts the wizard has to recognise, worded as Google words them (checked against
reports of real failures: 'Location "x" does not exist.', 'Already exists: ...',
'Insufficient regional quota to satisfy request: resource "CPUS": ...', GCE_STOCKOUT).
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from typing import Any

from kfwizard.emulator.http import ApiError
from kfwizard.gcp import locations
from kfwizard.gcp.machine_types import get_machine_type

API_ROOT = "https://container.googleapis.com/v1"
COMPUTE_ROOT = "https://www.googleapis.com/compute/v1"
DEFAULT_POOL = "default-pool"
DEFAULT_MACHINE_TYPE = "e2-medium"
DEFAULT_NODE_COUNT = 3
AUTOPILOT_MACHINE_TYPE = "e2-standard-4"
QUOTA_CPUS = 4.0
"""The regional CPUS quota when the cpu-quota fault is on (a new project's is 8-24)."""

_NAME_RE = re.compile(r"^[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?$")


@dataclass(frozen=True)
class Where:
    """A project + location as a request named it (zones/ or locations/ form)."""

    project: str
    location: str
    legacy: bool = False
    """True for ``projects/P/zones/Z`` URLs (old gcloud and the zonal client methods)."""

    @property
    def kind(self) -> str:
        return "zones" if self.legacy else "locations"

    def path(self, *rest: str) -> str:
        return "/".join(("projects", self.project, self.kind, self.location, *rest))


def check_location(location: str, *, allow_any: bool = False) -> None:
    if allow_any and location == "-":
        return
    if not locations.location_exists(location):
        raise ApiError(400, f'Location "{location}" does not exist.')


def check_cluster_name(name: str, field: str = "cluster.name") -> None:
    """GKE's rule for cluster names, which node pool names follow too."""
    if not _NAME_RE.match(name or ""):
        raise ApiError(
            400,
            f'Invalid value for field "{field}": "{name}". Must be a match of regex '
            "'(?:[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?)' (only alphanumerics and '-' allowed, "
            "must start with a letter and end with an alphanumeric, and must be no longer "
            "than 40 characters).",
        )


def cluster_zones(location: str, requested: list[str]) -> list[str]:
    """The zones a cluster's nodes live in: its zone, or three zones of its region."""
    if locations.is_zone(location):
        return list(requested) or [location]
    zones = locations.zones_in(location)
    if requested:
        for zone in requested:
            if locations.region_of(zone) != location or not locations.is_zone(zone):
                raise ApiError(
                    400,
                    f'Location "{zone}" is not a zone of region "{location}".',
                )
        return list(requested)
    return zones[:3]


def expand_scopes(scopes: list[str]) -> list[str]:
    """gcloud's scope aliases (compute-rw, gke-default, ...) as full URLs, sorted."""
    from kfwizard.gcp.scopes import expand_scopes as expand

    return expand(scopes)


def normalise_pools(cluster: Any, autopilot: bool) -> list[Any]:
    """The node pools a create request asks for, with GKE's defaults filled in.

    Requests either list ``nodePools`` or use the older ``initialNodeCount`` +
    ``nodeConfig`` pair (which GKE turns into ``default-pool``).
    """
    from google.cloud import container_v1

    if autopilot:
        if cluster.node_pools:
            raise ApiError(400, "Autopilot clusters do not support node pool configuration.")
        pool = container_v1.NodePool(
            name=DEFAULT_POOL,
            initial_node_count=1,
            config=container_v1.NodeConfig(machine_type=AUTOPILOT_MACHINE_TYPE),
        )
        pools = [pool]
    elif cluster.node_pools:
        if cluster.initial_node_count:
            raise ApiError(
                400,
                "Cluster.initial_node_count must not be set when Cluster.node_pools is set.",
            )
        pools = [container_v1.NodePool(p) for p in cluster.node_pools]
    else:
        count = cluster.initial_node_count or DEFAULT_NODE_COUNT
        config = container_v1.NodeConfig(cluster.node_config) if cluster.node_config else None
        pools = [container_v1.NodePool(name=DEFAULT_POOL, initial_node_count=count, config=config)]
    seen: set[str] = set()
    for index, pool in enumerate(pools):
        if not pool.name:
            raise ApiError(400, f'Invalid value for field "cluster.node_pools[{index}].name": "".')
        if pool.name in seen:
            raise ApiError(400, f'Node pool "{pool.name}" is specified more than once.')
        seen.add(pool.name)
        if pool.initial_node_count < 1:
            raise ApiError(
                400,
                f'Invalid value for field "cluster.node_pools[{index}].initial_node_count": '
                f"{pool.initial_node_count}. Must be greater than 0.",
            )
        fill_pool_config(pool)
    return pools


def fill_pool_config(pool: Any) -> None:
    """A node pool's config with GKE's defaults (e2-medium, 100 GB pd-balanced, COS,
    the default service account, gke-default scopes as URLs); an unknown machine type
    is refused."""
    config = pool.config
    config.machine_type = config.machine_type or DEFAULT_MACHINE_TYPE
    if get_machine_type(config.machine_type) is None:
        raise ApiError(400, f'machine type "{config.machine_type}" does not exist.')
    config.disk_size_gb = config.disk_size_gb or 100
    config.disk_type = config.disk_type or "pd-balanced"
    config.image_type = config.image_type or "COS_CONTAINERD"
    config.service_account = config.service_account or "default"
    config.oauth_scopes = expand_scopes(list(config.oauth_scopes))
    if "disable-legacy-endpoints" not in config.metadata:
        config.metadata["disable-legacy-endpoints"] = "true"
    pool.config = config


def new_pool(request: Any) -> Any:
    """The node pool a ``CreateNodePoolRequest`` asks for, checked and with defaults.

    Unlike a cluster's first pool, an added pool may start with 0 nodes (GKE allows
    it, e.g. for a pool that autoscales)."""
    from google.cloud import container_v1

    pool = container_v1.NodePool(request.node_pool)
    check_cluster_name(pool.name, "node_pool.name")
    if pool.initial_node_count < 0:
        raise ApiError(
            400,
            f'Invalid value for field "node_pool.initial_node_count": '
            f"{pool.initial_node_count}. Must be greater than or equal to 0.",
        )
    fill_pool_config(pool)
    return pool


def check_node_count(count: int) -> None:
    """A ``setSize`` node count: 0 or more (0 empties the pool, as on GKE)."""
    if count < 0:
        raise ApiError(
            400,
            f'Invalid value for field "node_count": {count}. Must be greater than or equal to 0.',
        )


def requested_cpus(pools: list[Any], zone_count: int) -> float:
    total = 0.0
    for pool in pools:
        machine = get_machine_type(pool.config.machine_type)
        vcpus = machine.vcpus if machine else 2
        total += vcpus * pool.initial_node_count * zone_count
    return float(total)


def quota_error(project: str, requested: float, used: float) -> ApiError:
    """The synchronous 403 GKE answers when the regional CPUS quota is too small.

    The quota is 4 CPUs when the request needs more, else one CPU less than asked, so
    the fault always bites and the numbers in the message add up.
    """
    quota = QUOTA_CPUS if requested > QUOTA_CPUS else float(max(0, math.ceil(requested) - 1))
    available = max(0.0, quota - used)
    short = requested - available
    return ApiError(
        403,
        f'Insufficient regional quota to satisfy request: resource "CPUS": request requires '
        f"'{requested:.1f}' and is short '{short:.1f}'. project has a quota of '{quota:.1f}' "
        f"with '{available:.1f}' available. View and manage quotas at "
        f"https://console.cloud.google.com/iam-admin/quotas?usage=USED&project={project}.",
    )


def stockout_message(project: str, zone: str, cluster: str, pool: str, nodes: int) -> str:
    """The statusMessage of a create operation that hit a GCE stockout (GCE_STOCKOUT)."""
    instance = f"gke-{cluster[:14]}-{pool[:12]}-{secrets.token_hex(4)}-{secrets.token_hex(2)}"
    return (
        f"Google Compute Engine: Not all instances running in IGM after 32.519842917s. "
        f"Expected {nodes}, running 0, transitioning {nodes}. Current errors: [GCE_STOCKOUT]: "
        f"Instance '{instance}' creation failed: The zone 'projects/{project}/zones/{zone}' "
        "does not have enough resources available to fulfill the request.  Try a different "
        "zone, or try again later."
    )


def service_disabled_error(project_number: str) -> ApiError:
    """403 SERVICE_DISABLED, as every GKE call answers before the API is enabled."""
    from kfwizard.emulator.http import error_info, help_links, localized_message

    url = (
        "https://console.developers.google.com/apis/api/container.googleapis.com/overview"
        f"?project={project_number}"
    )
    message = (
        f"Kubernetes Engine API has not been used in project {project_number} before or it "
        f"is disabled. Enable it by visiting {url} then retry. If you enabled this API "
        "recently, wait a few minutes for the action to propagate to our systems and retry."
    )
    return ApiError(
        403,
        message,
        legacy_reason="accessNotConfigured",
        details=[
            error_info(
                "SERVICE_DISABLED",
                "googleapis.com",
                service="container.googleapis.com",
                consumer=f"projects/{project_number}",
                serviceTitle="Kubernetes Engine API",
                containerInfo=project_number,
                activationUrl=url,
            ),
            localized_message(message),
            help_links(("Google developers console API activation", url)),
        ],
    )


def not_found(path: str) -> ApiError:
    return ApiError(404, f"Not found: {path}.")


BUSY_DOING = {
    "CREATE_CLUSTER": "creating cluster",
    "DELETE_CLUSTER": "deleting cluster",
    "CREATE_NODE_POOL": "creating a node pool for cluster",
    "DELETE_NODE_POOL": "deleting a node pool for cluster",
    "SET_NODE_POOL_SIZE": "resizing a node pool for cluster",
}
"""What GKE says an operation is doing when it refuses another one on the same cluster,
by operation type (``Operation ... is currently deleting a node pool for cluster X``)."""


def busy_error(op_id: str, op_type: str, cluster: str) -> ApiError:
    """400 FAILED_PRECONDITION: another operation is working on the cluster."""
    doing = BUSY_DOING.get(op_type, "updating cluster")
    return ApiError(
        400,
        f"Operation {op_id} is currently {doing} {cluster}. Please wait and try "
        "again once it is done.",
        status="FAILED_PRECONDITION",
    )


def not_running_error(cluster: str, status: str) -> ApiError:
    """400 FAILED_PRECONDITION: node pools change only on a RUNNING cluster."""
    return ApiError(
        400,
        f"Cluster {cluster} is in status {status}; node pools can be changed only when it "
        "is RUNNING.",
        status="FAILED_PRECONDITION",
    )


def cluster_id() -> str:
    return secrets.token_hex(32)


def instance_group_url(project: str, zone: str, cluster: str, pool: str) -> str:
    return (
        f"{COMPUTE_ROOT}/projects/{project}/zones/{zone}/instanceGroupManagers/"
        f"gke-{cluster[:14]}-{pool[:12]}-{secrets.token_hex(4)}-grp"
    )
