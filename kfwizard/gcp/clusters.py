"""GKE clusters: versions, listing, creating (and following the operation), deleting.

Creating a cluster takes minutes and is the step most likely to be interrupted, so the
functions here are built for resuming: the operation's name is what the session keeps,
:func:`follow_operation` can pick it up again in a new process, and
:func:`find_running_operation` recovers it when only the cluster is known. Waiting is
done through a caller-supplied ``sleep`` (the step's cancellable one) with a timeout.

Every call passes ``retry=None``: the library's own retry would wait up to 20 s per
call where the user cannot cancel it and end in a ``RetryError`` naming nothing;
callers retry through :func:`kfwizard.gcp.retries.call_with_retries` instead.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kfwizard.gcp import locations
from kfwizard.gcp.retries import RetryPolicy, call_with_retries
from kfwizard.gcp.runtime import GKE_CREATE_SECONDS
from kfwizard.gcp.scopes import expand_scopes
from kfwizard.wording import plural

DEFAULT_POOL = "default-pool"

RUNNING_OPERATION_STATES = ("PENDING", "RUNNING")


def parent(project: str, location: str) -> str:
    return f"projects/{project}/locations/{location}"


def cluster_path(project: str, location: str, name: str) -> str:
    return f"{parent(project, location)}/clusters/{name}"


def operation_path(project: str, location: str, operation: str) -> str:
    """Full operation name from an id or a full name."""
    if operation.startswith("projects/"):
        return operation
    return f"{parent(project, location)}/operations/{operation}"


def enum_name(value: Any) -> str:
    """``Status.RUNNING`` / 2 / "RUNNING" -> ``"RUNNING"``."""
    name = getattr(value, "name", None)
    return str(name if name is not None else value)


# -- versions ---------------------------------------------------------------------------
def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))


def pick_version(wanted: str | None, valid: list[str], default: str) -> str:
    """Resolve ``latest`` / ``-`` / ``1.33`` against the versions GKE offers.

    ``latest`` is the newest valid master version (what gcloud's ``--cluster-version
    latest`` means), ``-`` or empty the default; a prefix picks the newest match. An
    exact or unknown value is returned unchanged: GKE is the judge.
    """
    text = (wanted or "").strip()
    if text in ("", "-", "default"):
        return default or text
    if text == "latest":
        return max(valid, key=_version_key) if valid else text
    if text in valid:
        return text
    matches = [v for v in valid if v.startswith(text + ".") or v.startswith(text + "-")]
    return max(matches, key=_version_key) if matches else text


def resolve_version(client: Any, project: str, location: str, wanted: str | None) -> str:
    config = client.get_server_config(name=parent(project, location), retry=None)
    return pick_version(wanted, list(config.valid_master_versions), config.default_cluster_version)


# -- reading ------------------------------------------------------------------------------
def list_clusters(client: Any, project: str) -> list[Any]:
    """Clusters in every location (``locations/-``)."""
    return list(client.list_clusters(parent=parent(project, "-"), retry=None).clusters)


def get_cluster(client: Any, project: str, location: str, name: str) -> Any | None:
    """The cluster, or None when GKE says it does not exist."""
    from google.api_core import exceptions as gexc

    try:
        return client.get_cluster(name=cluster_path(project, location, name), retry=None)
    except gexc.NotFound:
        return None


def get_operation(client: Any, name: str) -> Any:
    return client.get_operation(name=name, retry=None)


def find_running_operation(
    client: Any, project: str, location: str, cluster: str, kind: str | None
) -> Any | None:
    """The still-running operation of ``kind`` (``CREATE_CLUSTER``, ``DELETE_CLUSTER``;
    None: of any kind) on ``cluster``, if any."""
    answer = client.list_operations(parent=parent(project, location), retry=None)
    for op in answer.operations:
        target = op.target_link or op.self_link or ""
        if (
            kind in (None, enum_name(op.operation_type))
            and enum_name(op.status) in RUNNING_OPERATION_STATES
            and (target.endswith(f"/clusters/{cluster}") or target == cluster)
        ):
            return op
    return None


# -- creating -------------------------------------------------------------------------------
def cluster_body(
    *, name: str, machine_type: str, nodes: int, scopes: list[str], version: str | None
) -> dict[str, Any]:
    """The ``Cluster`` message gcloud builds for
    ``clusters create NAME --machine-type --num-nodes --scopes --cluster-version``:
    one ``default-pool`` node pool with the machine type and expanded scope URLs."""
    body: dict[str, Any] = {
        "name": name,
        "node_pools": [
            {
                "name": DEFAULT_POOL,
                "initial_node_count": int(nodes),
                "config": {"machine_type": machine_type, "oauth_scopes": expand_scopes(scopes)},
            }
        ],
    }
    if version:
        body["initial_cluster_version"] = version
    return body


def create_cluster(client: Any, project: str, location: str, body: dict[str, Any]) -> Any:
    """Send the create request; returns GKE's ``Operation`` (not a long-running future)."""
    return client.create_cluster(
        request={"parent": parent(project, location), "cluster": body}, retry=None
    )


def create_refused(exc: BaseException) -> bool:
    """GKE answered a create and refused it (a bad argument, a permission, a quota, a
    rate limit): nothing was created. Not so for an answer that may follow a create
    carried out: a timeout (408, and any error that is not GKE's 4xx: 5xx, a dropped
    connection), 409 (the name exists: perhaps through an earlier try of ours), 499
    (the call was cancelled on its way)."""
    from google.api_core import exceptions as gexc

    from kfwizard.gcp.retries import cause_of, http_status

    exc = cause_of(exc)
    return isinstance(exc, gexc.ClientError) and http_status(exc) not in (408, 409, 499)


def delete_cluster(client: Any, project: str, location: str, name: str) -> Any:
    """Start deleting (teardown); returns the ``Operation`` to follow."""
    return client.delete_cluster(name=cluster_path(project, location, name), retry=None)


# -- following an operation ----------------------------------------------------------------
@dataclass
class OperationProgress:
    """What one poll of an operation says, in a form the UI can show."""

    status: str
    done: int
    total: int
    message: str
    metrics: dict[str, int] = field(default_factory=dict)


def read_progress(op: Any, elapsed: float, eta: float) -> OperationProgress:
    """Progress from GKE's metrics (``X`` / ``X_TOTAL`` pairs) or, lacking them, time."""
    metrics: dict[str, int] = {}
    progress = getattr(op, "progress", None)
    for metric in getattr(progress, "metrics", None) or []:
        metrics[metric.name] = int(metric.int_value or 0)
    done = sum(
        v for k, v in metrics.items() if not k.endswith("_TOTAL") and f"{k}_TOTAL" in metrics
    )
    total = sum(v for k, v in metrics.items() if k.endswith("_TOTAL"))
    status = enum_name(op.status)
    if total <= 0:
        total = 100
        done = 100 if status == "DONE" else int(min(95, 100 * elapsed / eta)) if eta > 0 else 0
    stage = ""
    for stage_item in getattr(progress, "stages", None) or []:
        if enum_name(stage_item.status) == "RUNNING":
            stage = stage_item.name
    message = (
        op.status_message
        or op.detail
        or stage
        or ("finished" if status == "DONE" else status.lower())
    )
    return OperationProgress(status, min(done, total), total, message, metrics)


def operation_error(op: Any) -> str | None:
    """The error text of a finished operation, or None if it succeeded."""
    error = getattr(op, "error", None)
    if error is not None and (error.code or error.message):
        return error.message or f"error code {error.code}"
    if enum_name(op.status) == "DONE" and op.status_message and not op.error:
        # GKE v1 reports some failures only as a status message on a DONE operation.
        text = op.status_message
        if re.search(r"error|fail|denied|quota|exhausted|not enough", text, re.IGNORECASE):
            return text
    return None


def running_for(op: Any, now: float | None = None) -> float:
    """Seconds since the operation started (its ``startTime``), 0 when unknown."""
    from datetime import datetime, timezone

    text = str(getattr(op, "start_time", "") or "")
    if not text:
        return 0.0
    try:
        started = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if started.tzinfo is None:
        started = started.replace(tzinfo=timezone.utc)
    current = now if now is not None else datetime.now(timezone.utc).timestamp()
    return max(0.0, current - started.timestamp())


class OperationTimeout(TimeoutError):
    def __init__(self, name: str, elapsed: float) -> None:
        super().__init__(f"operation {name} was still running after {elapsed:.0f}s")
        self.name = name
        self.elapsed = elapsed


def follow_operation(
    client: Any,
    name: str,
    *,
    sleep: Callable[[float], Any],
    log: Callable[[str], Any],
    progress: Callable[[int, int, str], Any] | None = None,
    timeout: float = 1800.0,
    interval: float = 5.0,
    eta: float = GKE_CREATE_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    retry: RetryPolicy | None = None,
) -> Any:
    """Poll ``get_operation`` until DONE, logging status changes and reporting progress.

    Cancellation comes through ``sleep``; raises :class:`OperationTimeout` after
    ``timeout`` seconds. Returns the finished operation (check :func:`operation_error`).
    """
    started = clock()
    last = None
    already: float | None = None
    while True:
        op = call_with_retries(
            lambda: get_operation(client, name),
            what=f"reading operation {name.rsplit('/', 1)[-1]}",
            sleep=sleep,
            log=log,
            policy=retry,
        )
        if already is None:
            already = running_for(op)
        elapsed = clock() - started
        age = elapsed + already  # a resumed operation started before we looked
        info = read_progress(op, age, eta)
        line = f"{info.status}: {info.message}"
        if line != last:
            remaining = max(0.0, eta - age)
            eta_text = (
                f", about {remaining / 60:.0f} min left"
                if info.status != "DONE" and remaining >= 60
                else ""
            )
            log(f"operation {name.rsplit('/', 1)[-1]} {line} ({age:.0f}s{eta_text})")
            last = line
        if progress is not None:
            progress(info.done, info.total, info.message)
        if info.status == "DONE":
            return op
        if elapsed >= timeout:
            raise OperationTimeout(name, elapsed)
        sleep(min(interval, max(0.0, timeout - elapsed)) or interval)


def cluster_status(cluster: Any) -> str:
    return enum_name(cluster.status)


# -- sizing ------------------------------------------------------------------------------------
def total_nodes(location: str, nodes: int) -> int:
    """A regional cluster gets ``--num-nodes`` in each of its zones (three by default)."""
    if locations.is_region(location):
        return nodes * min(3, max(1, len(locations.zones_in(location))))
    return nodes


def region_spread(location: str, nodes: int) -> str:
    """``us-central1 is a region: 3 nodes in each of its 3 zones, 9 in all``; empty for
    a zone. The Cluster screen's estimate and the cluster step's log both say it."""
    total = total_nodes(location, nodes)
    if total == nodes:
        return ""
    return (
        f"{location} is a region: {plural(nodes, 'node')} in each of its "
        f"{total // nodes} zones, {total} in all"
    )
