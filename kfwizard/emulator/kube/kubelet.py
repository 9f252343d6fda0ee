"""The kubelet simulation: schedules a pod, then walks it through its life.

Timeline of a healthy pod (base seconds, times ``speed``): scheduled at once, containers
start after 1-4 s (deterministic per pod name), then Running and Ready. Job pods finish
2 s later (Succeeded). Faults change the walk, keyed on the owning workload's name:

- ``image_pull``: ErrImagePull then ImagePullBackOff, retried with back-off (10 s, 20 s,
  ... x speed, never under ``MIN_CYCLE``), with the kubelet's Failed/BackOff events;
  the pod stays Pending.
- ``crashloop`` (and proxy-agent off GKE): Running but not Ready, exits after 1 s with
  exit code 1, then CrashLoopBackOff with ``restartCount`` rising, ``lastState.terminated``
  and crash log lines; restarts after the same back-off.
- ``never_ready``: Running, never Ready, nothing else wrong.

Lifting a fault lets the next cycle succeed (the controller re-checks pods when faults
change).
"""

from __future__ import annotations

import copy
import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kfwizard.emulator.kube import apps
from kfwizard.emulator.kube.podutil import is_terminal, set_condition
from kfwizard.emulator.kube.registry import now_rfc3339
from kfwizard.emulator.kube.store import Obj, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

PODS = ("", "pods")
START_RANGE = (1.0, 4.0)
JOB_RUN = 2.0
CRASH_AFTER = 1.0
BACKOFF_BASE = 10.0
BACKOFF_CAP = 300.0


@dataclass
class PodRun:
    stage: str = "creating"
    next_at: float = 0.0
    restarts: int = 0
    backoff: int = 0
    started: str = ""
    scheduled: str = ""
    last_term: dict[str, Any] | None = None
    pull_failures: int = 0


def start_delay(name: str) -> float:
    """1-4 base seconds, the same for the same pod name on every run."""
    digest = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    low, high = START_RANGE
    return low + (high - low) * (digest / 0xFFFFFFFF)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Kubelet:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.runs: dict[str, PodRun] = {}

    def forget(self, uid: str) -> None:
        self.runs.pop(uid, None)

    # -- the reconcile ----------------------------------------------------------------------
    def retry_unscheduled(self, namespace: str = "", name: str = "") -> None:
        """Capacity or volumes changed: try every pending, unbound pod again."""
        pods = sorted(
            self.cluster.store.items(PODS), key=lambda p: (meta(p)["namespace"], meta(p)["name"])
        )
        for pod in pods:
            spec = pod.get("spec") or {}
            if (
                not spec.get("nodeName")
                and not meta(pod).get("deletionTimestamp")
                and not is_terminal(pod)
            ):
                self._schedule(pod, retry=True)

    def reconcile(self, namespace: str, name: str) -> None:
        cluster = self.cluster
        pod = cluster.store.peek(PODS, namespace, name)
        if pod is None or meta(pod).get("deletionTimestamp") or is_terminal(pod):
            return
        node_name = (pod.get("spec") or {}).get("nodeName")
        if not node_name:
            self._schedule(pod)
            return
        if cluster.store.peek(("", "nodes"), "", node_name) is None:
            return
        uid = meta(pod)["uid"]
        now = time.monotonic()
        run = self.runs.get(uid)
        if run is None:
            run = self._adopt(pod, now)
            self.runs[uid] = run
        for _ in range(20):
            if run.next_at > now or not self._advance(pod, run, now):
                break
        self._check_running_faults(pod, run, now)
        pod = cluster.store.peek(PODS, namespace, name) or pod
        self._write(pod, run)
        if run.next_at > now and run.stage not in ("running", "completed", "failed"):
            cluster.sim.enqueue("pod", namespace, name, after=run.next_at - now)

    def _adopt(self, pod: Obj, now: float) -> PodRun:
        """A run record for a pod bound elsewhere (a restored cluster, or ``nodeName`` set
        by the client)."""
        status = pod.get("status") or {}
        if status.get("phase") == "Running":
            main = (status.get("containerStatuses") or [{}])[0]
            started = ((main.get("state") or {}).get("running") or {}).get(
                "startedAt", now_rfc3339()
            )
            return PodRun(
                stage="running",
                started=started,
                restarts=int(main.get("restartCount") or 0),
                scheduled=now_rfc3339(),
            )
        delay = self.cluster.sim.delay(start_delay(meta(pod)["name"]))
        return PodRun(stage="creating", next_at=now + delay, scheduled=now_rfc3339())

    def _schedule(self, pod: Obj, retry: bool = False) -> None:
        cluster = self.cluster
        node, message = cluster.scheduler.place(pod)
        md = meta(pod)
        rt = cluster.discovery.lookup("", "v1", "pods")
        assert rt is not None
        now = now_rfc3339()
        if node is None:
            status = copy.deepcopy(pod.get("status") or {})
            status["phase"] = "Pending"
            status["conditions"] = set_condition(
                status.get("conditions") or [],
                "PodScheduled",
                "False",
                "Unschedulable",
                message,
                now,
            )
            changed = status != pod.get("status")
            cluster.registry.write_status(rt, pod, status)
            if changed or retry:
                cluster.recorder.record(
                    pod, "Warning", "FailedScheduling", message, "default-scheduler"
                )
            return
        bound = copy.deepcopy(pod)
        bound["spec"]["nodeName"] = node
        pod = cluster.registry.update(rt, md["namespace"], md["name"], bound, check_rv=False)
        cluster.recorder.record(
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {md['namespace']}/{md['name']} to {node}",
            "default-scheduler",
        )
        delay = cluster.sim.delay(start_delay(md["name"]))
        self.runs[md["uid"]] = PodRun(
            stage="creating", next_at=time.monotonic() + delay, scheduled=now
        )
        self._write(pod, self.runs[md["uid"]])
        cluster.sim.enqueue("pod", md["namespace"], md["name"], after=delay)

    # -- stage transitions --------------------------------------------------------------------
    def _faulty(self, pod: Obj) -> tuple[bool, bool, bool]:
        """(image pull fails, crash-loops, never ready) for this pod's workload."""
        cluster = self.cluster
        faults = cluster.faults
        workload = apps.workload_of(cluster, pod)
        crash = workload in faults.crashloop or (workload == "proxy-agent" and not cluster.gke)
        return workload in faults.image_pull, crash, workload in faults.never_ready

    def _advance(self, pod: Obj, run: PodRun, now: float) -> bool:
        """Take one due step; False when there is nothing to do."""
        sim = self.cluster.sim
        stage = run.stage
        if stage in ("creating", "pull-backoff"):
            self._start(pod, run, now)
        elif stage == "pull-failed":
            image = self._main(pod).get("image", "")
            run.stage = "pull-backoff"
            self._event(pod, "Normal", "BackOff", f'Back-off pulling image "{image}"')
            self._event(pod, "Warning", "Failed", "Error: ImagePullBackOff")
            run.next_at = now + sim.cycle(
                min(BACKOFF_BASE * 2 ** min(run.pull_failures - 1, 5), BACKOFF_CAP)
            )
        elif stage == "crash-running":
            self._crash(pod, run, now)
        elif stage == "crashed":
            self._restart(pod, run, now)
        elif stage == "job-running":
            _, crash, _ = self._faulty(pod)
            run.stage = (
                "failed"
                if crash and (pod.get("spec") or {}).get("restartPolicy") == "Never"
                else "completed"
            )
        else:
            return False
        return True

    def _check_running_faults(self, pod: Obj, run: PodRun, now: float) -> None:
        """A fault switched on for an already running pod: crash it on its next cycle."""
        if run.stage != "running":
            return
        _, crash, _ = self._faulty(pod)
        if crash:
            run.stage = "crash-running"
            run.next_at = now + self.cluster.sim.cycle(CRASH_AFTER)

    def _main(self, pod: Obj) -> dict[str, Any]:
        return ((pod.get("spec") or {}).get("containers") or [{}])[0]

    def _event(self, pod: Obj, event_type: str, reason: str, message: str) -> None:
        node = (pod.get("spec") or {}).get("nodeName", "")
        self.cluster.recorder.record(pod, event_type, reason, message, "kubelet", node)

    def _start(self, pod: Obj, run: PodRun, now: float) -> None:
        cluster = self.cluster
        pull_fails, crash, _ = self._faulty(pod)
        main = self._main(pod)
        spec = pod.get("spec") or {}
        if pull_fails:
            image = main.get("image", "")
            run.pull_failures += 1
            run.stage = "pull-failed"
            self._event(pod, "Normal", "Pulling", f'Pulling image "{image}"')
            self._event(
                pod,
                "Warning",
                "Failed",
                f'Failed to pull image "{image}": {apps.pull_error(image)}',
            )
            self._event(pod, "Warning", "Failed", "Error: ErrImagePull")
            run.next_at = now + cluster.sim.cycle(1.0)
            return
        workload = apps.workload_of(cluster, pod)
        for container in list(spec.get("initContainers") or []) + list(
            spec.get("containers") or []
        ):
            image, name = container.get("image", ""), container.get("name", "")
            self._event(pod, "Normal", "Pulling", f'Pulling image "{image}"')
            self._event(
                pod,
                "Normal",
                "Pulled",
                f'Successfully pulled image "{image}" in 1.204s (1.204s including waiting). '
                f"Image size: {5_000_000 + int(_sha(image)[:8], 16) % 300_000_000} bytes.",
            )
            self._event(pod, "Normal", "Created", f"Created container: {name}")
            self._event(pod, "Normal", "Started", f"Started container {name}")
            if container in (spec.get("containers") or []):
                if crash and container is main:
                    cluster.logs.write(pod, name, apps.crash_lines(cluster, pod, name, workload))
                else:
                    cluster.logs.write(pod, name, apps.startup_lines(cluster, pod, name, workload))
        run.started = now_rfc3339()
        if spec.get("restartPolicy", "Always") != "Always":
            run.stage = "job-running"
            run.next_at = now + (
                cluster.sim.cycle(CRASH_AFTER) if crash else cluster.sim.delay(JOB_RUN)
            )
        elif crash:
            run.stage = "crash-running"
            run.next_at = now + cluster.sim.cycle(CRASH_AFTER)
        else:
            run.stage = "running"
            self._readiness_warning(pod)

    def _readiness_warning(self, pod: Obj) -> None:
        _, _, never_ready = self._faulty(pod)
        probe = self._main(pod).get("readinessProbe") or {}
        get = probe.get("httpGet")
        if never_ready and get:
            ip = self._pod_ip(pod)
            self._event(
                pod,
                "Warning",
                "Unhealthy",
                f'Readiness probe failed: Get "http://{ip}:{get.get("port")}'
                f'{get.get("path", "/")}": dial tcp {ip}:{get.get("port")}: '
                "connect: connection refused",
            )

    def _crash(self, pod: Obj, run: PodRun, now: float) -> None:
        main = self._main(pod)
        md = meta(pod)
        run.last_term = {
            "exitCode": 1,
            "reason": "Error",
            "startedAt": run.started or now_rfc3339(),
            "finishedAt": now_rfc3339(),
            "containerID": self._container_id(pod, main.get("name", ""), run.restarts),
        }
        run.restarts += 1
        run.stage = "crashed"
        self.cluster.logs.terminated(pod, main.get("name", ""))
        wait = min(BACKOFF_BASE * 2 ** min(run.backoff, 5), BACKOFF_CAP)
        run.backoff += 1
        run.next_at = now + self.cluster.sim.cycle(wait)
        self._event(
            pod,
            "Warning",
            "BackOff",
            f"Back-off restarting failed container {main.get('name', '')} in pod "
            f"{md['name']}_{md['namespace']}({md['uid']})",
        )

    def _restart(self, pod: Obj, run: PodRun, now: float) -> None:
        cluster = self.cluster
        _, crash, _ = self._faulty(pod)
        main = self._main(pod)
        name = main.get("name", "")
        workload = apps.workload_of(cluster, pod)
        cluster.logs.restart(pod, name)
        self._event(
            pod,
            "Normal",
            "Pulled",
            f'Container image "{main.get("image", "")}" already present on machine',
        )
        self._event(pod, "Normal", "Created", f"Created container: {name}")
        self._event(pod, "Normal", "Started", f"Started container {name}")
        run.started = now_rfc3339()
        if crash:
            cluster.logs.write(pod, name, apps.crash_lines(cluster, pod, name, workload))
            run.stage = "crash-running"
            run.next_at = now + cluster.sim.cycle(CRASH_AFTER)
        else:
            cluster.logs.write(pod, name, apps.startup_lines(cluster, pod, name, workload))
            run.stage = "running"

    # -- status rendering -----------------------------------------------------------------------
    def _pod_ip(self, pod: Obj) -> str:
        node = (pod.get("spec") or {}).get("nodeName", "")
        if (pod.get("spec") or {}).get("hostNetwork"):
            return self._node_ip(node)
        nodes = sorted(meta(n)["name"] for n in self.cluster.store.items(("", "nodes")))
        index = nodes.index(node) if node in nodes else 0
        digest = int(_sha(meta(pod).get("uid", "")), 16)
        return f"10.{4 + index}.{(digest >> 8) % 256}.{digest % 253 + 2}"

    def _node_ip(self, node_name: str) -> str:
        node = self.cluster.store.peek(("", "nodes"), "", node_name)
        for addr in ((node or {}).get("status") or {}).get("addresses") or []:
            if addr.get("type") == "InternalIP":
                return str(addr.get("address"))
        return "10.128.0.2"

    def _container_id(self, pod: Obj, name: str, restarts: int) -> str:
        uid = meta(pod).get("uid", "")
        return "containerd://" + _sha(f"{uid}/{name}/{restarts}")

    def _image_id(self, image: str) -> str:
        ref = apps.full_reference(image).rsplit(":", 1)[0]
        return f"{ref}@sha256:{_sha(image)}"

    def _write(self, pod: Obj, run: PodRun) -> None:
        cluster = self.cluster
        rt = cluster.discovery.lookup("", "v1", "pods")
        assert rt is not None
        status = self.render(pod, run)
        cluster.registry.write_status(rt, pod, status)

    def render(self, pod: Obj, run: PodRun) -> dict[str, Any]:
        spec = pod.get("spec") or {}
        old = pod.get("status") or {}
        now = now_rfc3339()
        _, _, never_ready = self._faulty(pod)
        stage = run.stage
        started = stage in (
            "running",
            "crash-running",
            "crashed",
            "job-running",
            "completed",
            "failed",
        )
        main = self._main(pod)
        phase = {
            "completed": "Succeeded",
            "failed": "Failed",
        }.get(stage, "Running" if started else "Pending")
        statuses = []
        for container in spec.get("containers") or []:
            statuses.append(self._container_status(pod, container, container is main, run))
        ready = bool(statuses) and all(s["ready"] for s in statuses) and not never_ready
        for s in statuses:
            if never_ready:
                s["ready"] = False
        init_statuses = [
            self._init_status(pod, c, started) for c in spec.get("initContainers") or []
        ]
        conditions = old.get("conditions") or []
        conditions = set_condition(conditions, "PodReadyToStartContainers", "True", now=now)
        initialized = started or not init_statuses
        conditions = set_condition(
            conditions,
            "Initialized",
            "True" if initialized else "False",
            "" if initialized else "ContainersNotInitialized",
            ""
            if initialized
            else f"containers with incomplete status: [{' '.join(s['name'] for s in init_statuses)}]",  # noqa: E501
            now,
        )
        if phase == "Succeeded":
            not_ready_reason, not_ready_msg = "PodCompleted", ""
        else:
            unready = [s["name"] for s in statuses if not s["ready"]]
            not_ready_reason, not_ready_msg = (
                "ContainersNotReady",
                f"containers with unready status: [{' '.join(unready)}]",
            )
        for ctype in ("Ready", "ContainersReady"):
            conditions = set_condition(
                conditions,
                ctype,
                "True" if ready else "False",
                "" if ready else not_ready_reason,
                "" if ready else not_ready_msg,
                now,
            )
        conditions = set_condition(conditions, "PodScheduled", "True", now=now)
        order = [
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
            "PodScheduled",
        ]
        conditions.sort(key=lambda c: order.index(c["type"]) if c.get("type") in order else 99)
        node_ip = self._node_ip(spec.get("nodeName", ""))
        status: dict[str, Any] = {
            "phase": phase,
            "conditions": conditions,
            "hostIP": node_ip,
            "hostIPs": [{"ip": node_ip}],
            "startTime": old.get("startTime") or run.scheduled or now,
            "containerStatuses": statuses,
            "qosClass": old.get("qosClass", "BestEffort"),
        }
        if started:
            ip = self._pod_ip(pod)
            status["podIP"] = ip
            status["podIPs"] = [{"ip": ip}]
        if init_statuses:
            status["initContainerStatuses"] = init_statuses
        return status

    def _container_status(
        self, pod: Obj, container: dict[str, Any], is_main: bool, run: PodRun
    ) -> dict[str, Any]:
        name, image = container.get("name", ""), container.get("image", "")
        stage = run.stage
        restarts = run.restarts if is_main else 0
        entry: dict[str, Any] = {
            "name": name,
            "image": image,
            "imageID": "",
            "ready": False,
            "restartCount": restarts,
            "started": False,
            "state": {},
            "lastState": {},
        }
        init = bool((pod.get("spec") or {}).get("initContainers"))
        if stage == "creating" or (stage.startswith("pull") and not is_main):
            entry["state"] = {
                "waiting": {"reason": "PodInitializing" if init else "ContainerCreating"}
            }
            return entry
        if stage == "pull-failed" and is_main:
            entry["state"] = {
                "waiting": {"reason": "ErrImagePull", "message": apps.pull_error(image)}
            }
            return entry
        if stage == "pull-backoff" and is_main:
            entry["state"] = {
                "waiting": {
                    "reason": "ImagePullBackOff",
                    "message": f'Back-off pulling image "{image}": '
                    f"ErrImagePull: {apps.pull_error(image)}",
                }
            }
            return entry
        entry["imageID"] = self._image_id(image)
        entry["containerID"] = self._container_id(pod, name, restarts)
        if is_main and run.last_term:
            entry["lastState"] = {"terminated": dict(run.last_term)}
        if stage in ("completed", "failed"):
            code = 0 if stage == "completed" else 1
            entry["state"] = {
                "terminated": {
                    "exitCode": code,
                    "reason": "Completed" if code == 0 else "Error",
                    "startedAt": run.started,
                    "finishedAt": run.started,
                    "containerID": entry["containerID"],
                }
            }
            return entry
        if stage == "crashed" and is_main:
            md = meta(pod)
            wait = int(min(BACKOFF_BASE * 2 ** min(run.backoff - 1, 5), BACKOFF_CAP))
            entry["state"] = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off {wait}s restarting failed container={name} "
                    f"pod={md['name']}_{md['namespace']}({md['uid']})",
                }
            }
            return entry
        entry["state"] = {"running": {"startedAt": run.started}}
        entry["started"] = True
        entry["ready"] = not (is_main and stage in ("crash-running", "crashed"))
        return entry

    def _init_status(self, pod: Obj, container: dict[str, Any], started: bool) -> dict[str, Any]:
        name, image = container.get("name", ""), container.get("image", "")
        if not started:
            return {
                "name": name,
                "image": image,
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                "started": False,
                "state": {"waiting": {"reason": "PodInitializing"}},
                "lastState": {},
            }
        run = self.runs.get(meta(pod).get("uid", ""))
        at = (run.started if run else "") or now_rfc3339()
        cid = self._container_id(pod, name, 0)
        return {
            "name": name,
            "image": image,
            "imageID": self._image_id(image),
            "containerID": cid,
            "ready": True,
            "restartCount": 0,
            "started": False,
            "state": {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": at,
                    "finishedAt": at,
                    "containerID": cid,
                }
            },
            "lastState": {},
        }
