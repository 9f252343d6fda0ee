"""Waiting for Deployments, StatefulSets and DaemonSets to become ready, by watching.

One LIST + one WATCH per kind (see :mod:`kfwizard.kube.watching`), plus pods in the same
scope so the live table can say *why* something is not ready yet ("Pending",
"CrashLoopBackOff") and so a stuck install is noticed before the timeout: a critical
workload whose pod stays unschedulable, cannot pull its image, or crash-loops (once
MySQL is up, P11) for ``stuck_after`` seconds ends the wait early.

Critical workloads decide success. Warn-only ones (the catalog's list: cache-server,
proxy-agent, ...) are waited for a short grace period once the critical ones are ready,
then reported, never fatal.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from kfwizard.kube.client import KubeClients
from kfwizard.kube.control import Control, Quiet
from kfwizard.kube.errors import WaitTimeout
from kfwizard.kube.objects import WORKLOAD_KINDS, condition, labels_match
from kfwizard.kube.watching import State, Watcher, WatchSpec

DETAIL_INTERVAL = 0.2
"""At most five table updates a second: enough to look live, cheap for the UI."""

DB_DEPENDENT = (
    "ml-pipeline",
    "metadata-grpc-deployment",
    "ml-pipeline-persistenceagent",
    "ml-pipeline-scheduledworkflow",
    "metadata-writer",
    "cache-server",
    "katib-db-manager",
    "cache-deployer-deployment",
)
"""Workloads that crash-loop while their database starts (P11): not stuck, just early."""

DATABASES = ("mysql", "katib-mysql", "postgres", "cloudsqlproxy")
PULL_REASONS = ("ErrImagePull", "ImagePullBackOff")
"""Both mean "the image can't be pulled"; one label keeps the stuck timer running."""
CRASH_RESTARTS = 2


@dataclass
class WorkloadStatus:
    """One row of the live table."""

    kind: str
    namespace: str
    name: str
    ready: str = "0/1"
    state: str = "waiting"
    """ready | progressing | waiting | failing | missing"""
    message: str = ""
    critical: bool = True

    def row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "namespace": self.namespace,
            "ready": self.ready,
            "state": self.state,
            "message": self.message,
            "critical": self.critical,
        }


@dataclass
class WaitResult:
    """What the wait saw last: every row, and whether it ended because of a stuck pod."""

    statuses: list[WorkloadStatus]
    seconds: float
    stuck: list[str] = field(default_factory=list)
    """Human lines, one per stuck critical workload (empty when all critical are ready)."""
    state: State | None = None
    lists: int = 0
    watches: int = 0

    @property
    def ok(self) -> bool:
        return all(s.state == "ready" for s in self.statuses if s.critical)

    @property
    def not_ready_warn_only(self) -> list[WorkloadStatus]:
        return [s for s in self.statuses if not s.critical and s.state != "ready"]

    def rows(self) -> list[dict[str, Any]]:
        return [s.row() for s in self.statuses]

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 2),
            "stuck": self.stuck,
            "statuses": [asdict(s) for s in self.statuses],
        }


def _desired(obj: dict[str, Any], kind: str) -> int:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind == "DaemonSet":
        return int(status.get("desiredNumberScheduled") or 0)
    replicas = spec.get("replicas")
    return 1 if replicas is None else int(replicas)


ROUTINE_MESSAGE = re.compile(
    r'(Deployment (does not have|has) minimum availability|ReplicaSet ".*" '
    r"(is progressing|has successfully progressed))\.?"
)
"""Deployment condition messages that say only that the rollout is under way. Beside
"progressing" and "0/1 ready" they add nothing, and cut to the table's width they read
as a fragment ("Deployment do"), so they are not shown."""


def workload_ready(obj: dict[str, Any], kind: str) -> tuple[bool, str, str]:
    """(ready?, ``"ready/desired"``, a short message) for one workload object.

    Mirrors ``kubectl rollout status``: the controller must have seen the latest
    generation, every replica must be updated, and enough must be available/ready.
    """
    status = obj.get("status") or {}
    meta = obj.get("metadata") or {}
    desired = _desired(obj, kind)
    observed = status.get("observedGeneration")
    generation = meta.get("generation")
    if observed is not None and generation is not None and int(observed) < int(generation):
        return False, f"0/{desired}", "waiting for the controller to see the change"
    if kind == "Deployment":
        available = int(status.get("availableReplicas") or 0)
        updated = int(status.get("updatedReplicas") or 0)
        ready_n = int(status.get("readyReplicas") or 0)
        text = f"{ready_n}/{desired}"
        cond = condition(obj, "Available")
        progressing = condition(obj, "Progressing")
        if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
            return False, text, progressing.get("message") or "rollout is past its deadline"
        if desired == 0:
            return True, text, ""
        if (
            available >= desired
            and (updated >= desired or "updatedReplicas" not in status)
            and not (cond and str(cond.get("status")) == "False")
        ):
            return True, text, ""
        msg = (cond or {}).get("message") or (progressing or {}).get("message") or ""
        return False, text, "" if ROUTINE_MESSAGE.fullmatch(msg) else msg
    if kind == "StatefulSet":
        ready_n = int(status.get("readyReplicas") or 0)
        return ready_n >= desired, f"{ready_n}/{desired}", ""
    if kind == "DaemonSet":
        ready_n = int(status.get("numberReady") or 0)
        if "desiredNumberScheduled" not in status:
            return False, "0/?", "waiting for the controller"
        return ready_n >= desired, f"{ready_n}/{desired}", ""
    return True, "", ""


def pod_problem(pod: dict[str, Any]) -> tuple[str, str] | None:
    """(state word, short reason) when a pod is visibly in trouble, else None."""
    status = pod.get("status") or {}
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and str(cond.get("status")) == "False":
            return "waiting", f"Pending: {cond.get('reason') or 'not scheduled'}"
    for key in ("initContainerStatuses", "containerStatuses"):
        for cs in status.get(key) or []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            reason = waiting.get("reason") or ""
            if reason in (
                "CrashLoopBackOff",
                "ImagePullBackOff",
                "ErrImagePull",
                "InvalidImageName",
                "CreateContainerConfigError",
                "RunContainerError",
            ):
                if reason in PULL_REASONS:
                    return "failing", "ImagePullBackOff"
                return "failing", reason
            if int(cs.get("restartCount") or 0) >= CRASH_RESTARTS and not cs.get("ready"):
                # between two crashes the container is briefly Running: still a crash-loop
                return "failing", "CrashLoopBackOff"
    if status.get("phase") == "Pending":
        return "waiting", "Pending"
    return None


def _workload_pods(
    obj: dict[str, Any], pods: dict[tuple[str, str], dict[str, Any]], namespace: str
) -> list[dict[str, Any]]:
    selector = ((obj.get("spec") or {}).get("selector")) or {}
    return [
        p
        for (ns, _), p in pods.items()
        if ns == namespace and labels_match(selector, (p.get("metadata") or {}).get("labels"))
    ]


class Rollout:
    """The wait itself; kept as an object so the table logic is testable on dicts."""

    def __init__(
        self,
        workloads: list[dict[str, str]],
        critical: set[tuple[str, str]] | None,
        stuck_after: float | None,
        warn_grace: float,
    ) -> None:
        self.workloads = workloads
        self.critical = critical
        self.stuck_after = stuck_after
        self.warn_grace = warn_grace
        self.started = time.monotonic()
        self.critical_ready_at: float | None = None
        self.first_seen_problem: dict[tuple[str, str], float] = {}
        self.stuck: list[str] = []
        self.statuses: list[WorkloadStatus] = []

    def is_critical(self, ref: dict[str, str]) -> bool:
        return self.critical is None or (ref.get("namespace", ""), ref["name"]) in self.critical

    def evaluate(self, state: State) -> list[WorkloadStatus]:
        pods = state.get("Pod", {})
        db_ready = self._databases_ready(state)
        now = time.monotonic()
        rows: list[WorkloadStatus] = []
        stuck: list[str] = []
        for ref in self.workloads:
            kind, ns, name = ref["kind"], ref.get("namespace", ""), ref["name"]
            row = WorkloadStatus(kind, ns, name, critical=self.is_critical(ref))
            obj = state.get(kind, {}).get((ns, name))
            if obj is None:
                row.state, row.message = "missing", "not created yet"
                rows.append(row)
                continue
            ok, row.ready, row.message = workload_ready(obj, kind)
            if ok:
                row.state = "ready"
                self.first_seen_problem.pop((ns, name), None)
                rows.append(row)
                continue
            row.state = "progressing"
            for pod in _workload_pods(obj, pods, ns):
                problem = pod_problem(pod)
                if problem:
                    row.state, row.message = problem[0], problem[1]
                    break
            if row.state == "failing" or row.message.startswith("Pending: Unschedulable"):
                early = row.message == "CrashLoopBackOff" and name in DB_DEPENDENT and not db_ready
                if early:
                    row.message = "CrashLoopBackOff (normal while MySQL starts)"
                    self.first_seen_problem.pop((ns, name), None)
                else:
                    seen = self.first_seen_problem.setdefault((ns, name), now)
                    if (
                        row.critical
                        and self.stuck_after is not None
                        and now - seen >= self.stuck_after
                    ):
                        stuck.append(f"{kind} {ns}/{name}: {row.message}")
            else:
                self.first_seen_problem.pop((ns, name), None)
            rows.append(row)
        self.statuses, self.stuck = rows, stuck
        return rows

    def _databases_ready(self, state: State) -> bool:
        for (_, name), obj in state.get("Deployment", {}).items():
            if name in DATABASES and not workload_ready(obj, "Deployment")[0]:
                return False
        for (_, name), obj in state.get("StatefulSet", {}).items():
            if name in DATABASES and not workload_ready(obj, "StatefulSet")[0]:
                return False
        return True

    def done(self, state: State) -> bool:
        rows = self.evaluate(state)
        if self.stuck:
            return True
        if not all(r.state == "ready" for r in rows if r.critical):
            return False
        if all(r.state == "ready" for r in rows):
            return True
        now = time.monotonic()
        if self.critical_ready_at is None:
            self.critical_ready_at = now
        return now - self.critical_ready_at >= self.warn_grace


def time_left(ready: int, total: int, elapsed: float, since_change: float) -> str:
    """ ", about 12 s left" from the pace of the workloads ready so far, counted from the
    last one that became ready; empty before the first and after the last.

    When the estimate has run out and nothing became ready since (a pod that will never
    start, a slow image pull), it says so instead of "about 0 s left", which a user
    watching a stuck install reads as "nearly there".
    """
    if ready <= 0 or ready >= total:
        return ""
    pace = max(elapsed - since_change, 0.0) / ready
    remaining = pace * (total - ready) - since_change
    if remaining > 0:
        return f", about {max(round(remaining), 1)} s left"
    return ", taking longer than the first ones did"


class Throttle:
    """At most one ``send`` per ``interval``, without losing the last change.

    A plain throttle drops a change that comes too soon after the previous send; when it
    is the last change for a while (the final state of a rollout, a pod that starts
    crash-looping and then stays quiet), the live table shows a stale row until the next
    event, which may never come. This one remembers the held-back change, and
    :meth:`flush` sends it once the interval has passed.
    """

    def __init__(self, send: Callable[[float], None], interval: float | None = None) -> None:
        self._send = send
        self._interval = DETAIL_INTERVAL if interval is None else interval
        self._last = -float("inf")
        self.pending = False

    def __call__(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= self._interval:
            self._last = now
            self.pending = False
            self._send(now)
        else:
            self.pending = True

    def flush(self) -> None:
        """Send the held-back change if there is one and the interval has passed."""
        if self.pending:
            self()


def wait_workloads(
    clients: KubeClients,
    workloads: Iterable[dict[str, str]],
    *,
    critical: Iterable[str] | None = None,
    timeout: float = 900.0,
    control: Control | None = None,
    stuck_after: float | None = 120.0,
    warn_grace: float = 30.0,
    detail_key: str = "deployments",
    watch_pods: bool = True,
    on_rows: Callable[[list[dict[str, Any]]], None] | None = None,
) -> WaitResult:
    """Wait until every critical workload is ready; return the last table.

    ``workloads``: references (``kind``, ``namespace``, ``name``) of Deployments,
    StatefulSets and DaemonSets. ``critical``: names (or ``namespace/name``) that must
    become ready; None means all. Raises :class:`WaitTimeout` (with the last table in
    ``state``) when the time runs out; returns early with ``stuck`` filled when a
    critical workload stays broken for ``stuck_after`` seconds.
    """
    control = control or Quiet()
    refs = [r for r in workloads if r.get("kind") in WORKLOAD_KINDS]
    critical_set: set[tuple[str, str]] | None = None
    if critical is not None:
        names = set(critical)
        critical_set = {
            (r.get("namespace", ""), r["name"])
            for r in refs
            if r["name"] in names or f"{r.get('namespace', '')}/{r['name']}" in names
        }
    started = time.monotonic()
    if not refs:
        return WaitResult([], 0.0)
    namespaces = {r.get("namespace") or "" for r in refs}
    scope = next(iter(namespaces)) if len(namespaces) == 1 else None
    kinds = [k for k in WORKLOAD_KINDS if any(r["kind"] == k for r in refs)]
    specs = [WatchSpec("apps/v1", k, namespace=scope) for k in kinds]
    if watch_pods:
        specs.append(WatchSpec("v1", "Pod", namespace=scope))
    rollout = Rollout(refs, critical_set, stuck_after, warn_grace)
    last_ready = [0, started]  # how many were ready, and since when

    def send(now: float) -> None:
        rows = [s.row() for s in rollout.statuses]
        control.detail(detail_key, rows)
        if on_rows is not None:
            on_rows(rows)
        ready = sum(1 for s in rollout.statuses if s.state == "ready")
        total = len(rollout.statuses)
        if ready != last_ready[0]:
            last_ready[:] = [ready, now]
        left = time_left(ready, total, now - started, now - last_ready[1])
        control.progress(ready, total, f"{ready}/{total} ready{left}")

    publish = Throttle(send)

    def on_change(state: State) -> None:
        rollout.evaluate(state)
        publish()

    def done(state: State) -> bool:
        # Called after each batch of events and every 0.1 s without one, so a change
        # the throttle held back is shown within DETAIL_INTERVAL + 0.1 s.
        finished = rollout.done(state)
        publish.flush()
        return finished

    watcher = Watcher(clients, specs, control)
    try:
        state = watcher.wait(
            done,
            timeout=timeout,
            on_change=on_change,
            what=f"{len(refs)} workloads to become ready",
        )
    except WaitTimeout as exc:
        rollout.evaluate(watcher.state)
        publish(force=True)
        late = [s for s in rollout.statuses if s.critical and s.state != "ready"]
        exc.state = WaitResult(
            rollout.statuses,
            time.monotonic() - started,
            [],
            watcher.state,
            watcher.lists,
            watcher.watches,
        )
        exc.cause = (
            f"Timed out after {timeout:.0f} s: {len(late)} of the workloads that must "
            f"run are not ready ({', '.join(s.name for s in late[:5])})."
        )
        exc.args = (exc.cause,)
        raise
    except BaseException:  # cancelled, or the watch failed: show the last state seen
        if publish.pending:
            publish(force=True)
        raise
    publish(force=True)
    return WaitResult(
        rollout.statuses,
        time.monotonic() - started,
        list(rollout.stuck),
        state,
        watcher.lists,
        watcher.watches,
    )
