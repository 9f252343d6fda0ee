"""What is stuck, in plain words, with the next action (P3, P4, P5, P6, P11, P2).

Two halves. The classification functions are pure: they take the dicts the API returns
(pods, events, PVCs, nodes, StorageClasses) and return :class:`Diagnosis` objects, so
every rule is unit-testable without a server. :func:`collect` reads those dicts from
the cluster (one LIST per kind, plus the last log lines of crashing containers).

Order matters: a newcomer should read the root cause first. A PVC with no StorageClass
(P4) keeps MySQL Pending, which makes the API server crash-loop (P11); the PVC comes
first and the crash-loop is marked as a consequence. Ranks below encode that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from kfwizard.kube.capacity import (
    NodeRoom,
    larger_machine,
    node_room,
)
from kfwizard.kube.names import role
from kfwizard.kube.quantity import (
    format_cpu,
    format_memory,
    pod_requests,
)
from kfwizard.wording import plural

SEVERITIES = ("error", "warning", "info")
DB_GRACE_SECONDS = 300.0
"""Restarts of DB-dependent pods in their first five minutes are expected (P11)."""
LOG_LINES = 20
DEFAULT_SC_ANNOTATIONS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)
DB_DEPENDENT = (
    "ml-pipeline",
    "metadata-grpc-deployment",
    "ml-pipeline-persistenceagent",
    "ml-pipeline-scheduledworkflow",
    "metadata-writer",
    "cache-server",
    "cache-deployer-deployment",
    "katib-db-manager",
    "metadata-envoy-deployment",
)
DATABASES = ("mysql", "katib-mysql", "postgres", "cloudsqlproxy")

# rank: lower first; root causes before their symptoms
RANK_STORAGE, RANK_CAPACITY, RANK_IMAGE, RANK_ADMISSION, RANK_CRASH, RANK_OTHER = range(6)
RANK_VOLUME_WAIT = 0.5
"""A pod waiting for its PVC: right after the PVC's own diagnosis."""


@dataclass
class Diagnosis:
    """One finding: what is wrong with what, why, and what to do."""

    subject: str
    """What it is about: ``Pod kubeflow/mysql-5f7c9`` or ``PVC kubeflow/mysql-pv-claim``."""
    problem: str
    """Short label: ``can't be scheduled``, ``image can't be pulled``, ..."""
    cause: str
    """One full sentence a newcomer understands."""
    action: str
    """The next thing to do, with the exact command when there is one."""
    evidence: list[str] = field(default_factory=list)
    severity: str = "error"
    rank: float = RANK_OTHER
    workload: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "problem": self.problem,
            "cause": self.cause,
            "action": self.action,
            "evidence": list(self.evidence),
            "severity": self.severity,
            "workload": self.workload,
        }

    def lines(self) -> list[str]:
        """For logs and ``StepFailed.details``."""
        out = [
            f"[{self.severity}] {self.subject}: {self.problem}",
            f"  why: {self.cause}",
            f"  next: {self.action}",
        ]
        out += [f"  | {line}" for line in self.evidence]
        return out


@dataclass
class Snapshot:
    """Everything the rules look at, as plain dicts (what :func:`collect` read)."""

    namespaces: list[str]
    pods: list[dict[str, Any]] = field(default_factory=list)
    """Pods in ``namespaces`` plus, for node usage, pods of other namespaces."""
    events: list[dict[str, Any]] = field(default_factory=list)
    pvcs: list[dict[str, Any]] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    storageclasses: list[dict[str, Any]] = field(default_factory=list)
    replicasets: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[str, list[str]] = field(default_factory=dict)
    """``namespace/pod/container`` -> last log lines (previous run when it crashed)."""
    cluster: dict[str, Any] = field(default_factory=dict)
    """``name``, ``location``, ``machine_type`` when known (for the resize command)."""
    db_grace: float = DB_GRACE_SECONDS
    """Crash-loops of DB-dependent pods younger than this count as "MySQL still starting"
    even when MySQL is Ready (P11); 0 when the install should be settled (a timeout,
    a stuck rollout, a failed verify)."""
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


# -- small readers ---------------------------------------------------------------------
def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _name(obj: dict[str, Any]) -> str:
    return str(_meta(obj).get("name", "?"))


def _ns(obj: dict[str, Any]) -> str:
    return str(_meta(obj).get("namespace") or "")


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def age_seconds(obj: dict[str, Any], now: datetime) -> float | None:
    created = parse_time(_meta(obj).get("creationTimestamp"))
    return None if created is None else (now - created).total_seconds()


def events_for(
    events: Iterable[dict[str, Any]], kind: str, name: str, namespace: str
) -> list[dict[str, Any]]:
    """Events about one object, newest last."""
    found = []
    for event in events:
        inv = event.get("involvedObject") or event.get("regarding") or {}
        if (
            inv.get("kind") == kind
            and inv.get("name") == name
            and (inv.get("namespace") or _ns(event)) == namespace
        ):
            found.append(event)

    def when(e: dict[str, Any]) -> datetime:
        return (
            parse_time(e.get("lastTimestamp"))
            or parse_time(e.get("eventTime"))
            or parse_time(_meta(e).get("creationTimestamp"))
            or datetime.min.replace(tzinfo=timezone.utc)
        )

    return sorted(found, key=when)


def event_text(event: dict[str, Any]) -> str:
    return f"event {event.get('reason', '?')}: {event.get('message') or event.get('note') or ''}"


def is_default_storageclass(sc: dict[str, Any]) -> bool:
    annotations = _meta(sc).get("annotations") or {}
    return any(str(annotations.get(a, "")).lower() == "true" for a in DEFAULT_SC_ANNOTATIONS)


def workload_of(pod: dict[str, Any], replicasets: Iterable[dict[str, Any]] = ()) -> str:
    """The Deployment/StatefulSet/DaemonSet name that owns a pod (best effort)."""
    owners = _meta(pod).get("ownerReferences") or []
    for owner in owners:
        kind, name = owner.get("kind"), str(owner.get("name", ""))
        if kind == "ReplicaSet":
            for rs in replicasets:
                if _name(rs) == name and _ns(rs) == _ns(pod):
                    for rs_owner in _meta(rs).get("ownerReferences") or []:
                        if rs_owner.get("kind") == "Deployment":
                            return str(rs_owner.get("name"))
            return name.rsplit("-", 1)[0] if "-" in name else name
        if kind in ("StatefulSet", "DaemonSet", "Job"):
            return name
    labels = _meta(pod).get("labels") or {}
    if labels.get("app"):
        return str(labels["app"])
    parts = _name(pod).rsplit("-", 2)
    return parts[0] if len(parts) == 3 else _name(pod)


def _pod_ready(pod: dict[str, Any]) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return str(cond.get("status")) == "True"
    return False


def _container_statuses(pod: dict[str, Any]) -> list[dict[str, Any]]:
    status = pod.get("status") or {}
    return list(status.get("initContainerStatuses") or []) + list(
        status.get("containerStatuses") or []
    )


def _location_flag(location: str) -> str:
    """gcloud's location flag with a leading space (a zone has two dashes, a region one);
    nothing when the location is not known (gcloud then uses its configured default)."""
    if not location:
        return ""
    return f" --zone {location}" if location.count("-") >= 2 else f" --region {location}"


# -- P4: storage -----------------------------------------------------------------------
STANDARD_RWO = "standard-rwo"


def default_storageclass_fix(storageclasses: list[dict[str, Any]]) -> str:
    """The exact command that makes a StorageClass the default (``standard-rwo`` first)."""
    names = [_name(sc) for sc in storageclasses]
    target = (
        STANDARD_RWO
        if STANDARD_RWO in names or not names
        else ("standard" if "standard" in names else names[0])
    )
    patch = '{"metadata": {"annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}}'
    return f"kubectl patch storageclass {target} -p '{patch}'"


def diagnose_pvc(
    pvc: dict[str, Any], storageclasses: list[dict[str, Any]], events: list[dict[str, Any]]
) -> Diagnosis | None:
    """A Pending PVC: no default StorageClass (P4), a missing class, or provisioning errors."""
    if (pvc.get("status") or {}).get("phase") != "Pending":
        return None
    name, ns = _name(pvc), _ns(pvc)
    subject = f"PVC {ns}/{name}"
    size = (((pvc.get("spec") or {}).get("resources") or {}).get("requests") or {}).get(
        "storage", "?"
    )
    wanted = (pvc.get("spec") or {}).get("storageClassName")
    evidence = [event_text(e) for e in events_for(events, "PersistentVolumeClaim", name, ns)][-3:]
    classes = {_name(sc): sc for sc in storageclasses}
    if not wanted:
        if any(is_default_storageclass(sc) for sc in storageclasses):
            return _provisioning(pvc, subject, size, evidence, classes, None)
        listed = ", ".join(classes) or "none"
        if classes:
            fix = default_storageclass_fix(storageclasses)
            action = f"mark a StorageClass as the default, then resume: {fix}"
        else:
            action = (
                "create a StorageClass and mark it default; on GKE enable the Compute "
                'Engine persistent disk CSI driver ("gcloud container clusters update '
                'CLUSTER --update-addons=GcePersistentDiskCsiDriver=ENABLED"), which '
                "brings standard-rwo, then resume"
            )
        return Diagnosis(
            subject,
            "no default StorageClass",
            f"PVC {name} ({size}) stays Pending because it names no StorageClass and the "
            f"cluster has no default one (StorageClasses: {listed}).",
            action,
            [*evidence, f"storage classes: {listed}"],
            "error",
            RANK_STORAGE,
        )
    if wanted not in classes:
        return Diagnosis(
            subject,
            "StorageClass missing",
            f"PVC {name} asks for StorageClass {wanted}, which does not exist.",
            f"create StorageClass {wanted} or change the PVC's storageClassName, then resume",
            evidence,
            "error",
            RANK_STORAGE,
        )
    return _provisioning(pvc, subject, size, evidence, classes, wanted)


def _provisioning(
    pvc: dict[str, Any],
    subject: str,
    size: str,
    evidence: list[str],
    classes: dict[str, dict[str, Any]],
    wanted: str | None,
) -> Diagnosis | None:
    failing = [e for e in evidence if "ProvisioningFailed" in e]
    if not failing:
        return None  # WaitForFirstConsumer: Pending until its pod is scheduled, normal
    return Diagnosis(
        subject,
        "volume can't be created",
        f"PVC {_name(pvc)} ({size}) can't get a disk: {failing[-1].split(': ', 1)[-1]}",
        "check the disk quota (SSD_TOTAL_GB / DISKS_TOTAL_GB) in the region and the "
        "StorageClass's provisioner, then resume",
        evidence,
        "error",
        RANK_STORAGE,
    )


# -- P3: how many nodes (one answer for the preflight and the rollout) ---------------------
NO_NODE_FALLBACK = 3
"""With no Ready node there is nothing to measure: GKE's default pool size."""


def comes_with_every_node(pod: dict[str, Any]) -> bool:
    """A DaemonSet pod or a static (mirror) pod such as kube-proxy: a new node runs its
    own copy, so its requests are not room the install can use there."""
    owners = (pod.get("metadata") or {}).get("ownerReferences") or []
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    return "kubernetes.io/config.mirror" in annotations or any(
        o.get("kind") in ("DaemonSet", "Node") for o in owners
    )


def new_node_room(room: NodeRoom, pods: list[dict[str, Any]]) -> tuple[int, int]:
    """What an added node like ``room`` leaves for the install: its allocatable (after
    GKE's reservations) minus the requests of the system pods every node runs."""
    cpu, mem = room.alloc_cpu, room.alloc_mem
    for pod in pods:
        if (pod.get("spec") or {}).get("nodeName") == room.name and comes_with_every_node(pod):
            pod_cpu, pod_mem = pod_requests(pod.get("spec") or {})
            cpu, mem = cpu - pod_cpu, mem - pod_mem
    return max(cpu, 0), max(mem, 0)


def pool_nodes_needed(
    rooms: list[NodeRoom], pods: list[dict[str, Any]], demand: list[tuple[int, int]]
) -> int:
    """How many nodes the first node pool needs in all so every pod in ``demand`` (CPU
    millicores, memory bytes each) has a place: the number for ``gcloud container
    clusters resize --num-nodes``. The capacity preflight (the install's pods) and the
    rollout's diagnosis (the pods left Pending) both ask this, so they give one answer.

    The pods are packed largest first into the free room of every schedulable node, then
    into added nodes of the pool, each holding its allocatable minus the pods every node
    runs (DaemonSets, kube-proxy). A pod too large for even an empty added node is not
    counted here: more nodes cannot hold it, a larger machine type can.
    """
    if not rooms:
        return NO_NODE_FALLBACK
    pool = [r for r in rooms if r.pool == rooms[0].pool]
    fresh_cpu, fresh_mem = max((new_node_room(r, pods) for r in pool), default=(0, 0))
    bins = [[max(r.free_cpu, 0), max(r.free_mem, 0)] for r in rooms]
    added = 0

    def share(req: tuple[int, int]) -> float:
        return max(req[0] / max(fresh_cpu, 1), req[1] / max(fresh_mem, 1))

    for cpu, mem in sorted(demand, key=share, reverse=True):
        if cpu > fresh_cpu or mem > fresh_mem:
            continue  # larger than a whole new node: a larger machine type, not more nodes
        place = next((b for b in bins if b[0] >= cpu and b[1] >= mem), None)
        if place is None:
            place = [fresh_cpu, fresh_mem]
            bins.append(place)
            added += 1
        place[0] -= cpu
        place[1] -= mem
    return len(pool) + added


def too_big_for_a_node(
    rooms: list[NodeRoom], pods: list[dict[str, Any]], demand: list[tuple[int, int]]
) -> tuple[int, int] | None:
    """The largest request in ``demand`` that not even an empty added node of the first
    pool holds (None when every pod fits one)."""
    if not rooms:
        return None
    pool = [r for r in rooms if r.pool == rooms[0].pool]
    fresh_cpu, fresh_mem = max((new_node_room(r, pods) for r in pool), default=(0, 0))
    over = [(c, m) for c, m in demand if c > fresh_cpu or m > fresh_mem]
    return max(over, default=None)


# -- P3: capacity ----------------------------------------------------------------------
def diagnose_unschedulable(
    pod: dict[str, Any], snapshot: Snapshot, pending: list[dict[str, Any]]
) -> Diagnosis:
    """Which resource is short, by how much, on which node pool, and the resize command."""
    name, ns = _name(pod), _ns(pod)
    message = next(
        (
            str(c.get("message") or "")
            for c in (pod.get("status") or {}).get("conditions") or []
            if c.get("type") == "PodScheduled"
        ),
        "",
    )
    evidence = [f"scheduler: {message}"] if message else []
    evidence += [
        event_text(e)
        for e in events_for(snapshot.events, "Pod", name, ns)
        if e.get("reason") == "FailedScheduling"
    ][-2:]
    workload = workload_of(pod, snapshot.replicasets)
    subject = f"Pod {ns}/{name}"
    if "PersistentVolumeClaim" in message:
        return Diagnosis(
            subject,
            "waiting for its volume",
            f"Pod {name} of {role(workload)} can't be scheduled until its PVC is bound.",
            "fix the PVC problem listed above, then resume",
            evidence,
            "error",
            RANK_VOLUME_WAIT,
            workload,
        )
    need_cpu, need_mem = pod_requests(pod.get("spec") or {})
    rooms = node_room(snapshot.nodes, snapshot.pods)
    cluster = snapshot.cluster
    pool = rooms[0].pool if rooms else "default-pool"
    machine = (cluster.get("machine_type") or (rooms[0].machine_type if rooms else "")) or ""
    if "Too many pods" in message:
        return Diagnosis(
            subject,
            "node pod limit reached",
            f"Pod {name} can't be scheduled: every node already runs its maximum number of pods.",
            _resize_action(cluster, pool, len(rooms) + 1, machine, None),
            evidence,
            "error",
            RANK_CAPACITY,
            workload,
        )
    if "taint" in message and "Insufficient" not in message:
        return Diagnosis(
            subject,
            "no node accepts it",
            f"Pod {name} can't be scheduled: the nodes carry taints it does not tolerate.",
            'add an untainted node pool or remove the taint ("kubectl describe nodes | grep '
            'Taints" lists them), then resume',
            evidence,
            "error",
            RANK_CAPACITY,
            workload,
        )
    free_cpu = max((r.free_cpu for r in rooms), default=0)
    free_mem = max((r.free_mem for r in rooms), default=0)
    fits_somewhere = any(r.free_cpu >= need_cpu and r.free_mem >= need_mem for r in rooms)
    short_cpu = need_cpu > free_cpu or ("Insufficient cpu" in message and not fits_somewhere)
    short_mem = need_mem > free_mem or ("Insufficient memory" in message and not fits_somewhere)
    free_parts = []
    if short_cpu:
        free_parts.append(format_cpu(free_cpu) if free_cpu > 0 else "")
    if short_mem:
        free_parts.append(f"{format_memory(free_mem)} memory" if free_mem > 0 else "")
    needs = f"{format_cpu(need_cpu)} and {format_memory(need_mem)} memory"
    if not rooms:
        cause = f"Pod {name} can't be scheduled: the cluster has no Ready, schedulable node."
    elif free_parts and all(free_parts):
        cause = (
            f"Pod {name} can't be scheduled: it needs {needs}; the largest free space "
            f"on a node is {' and '.join(free_parts)}."
        )
    elif free_parts:
        gone = " or ".join(
            word for word, short in (("CPU", short_cpu), ("memory", short_mem)) if short
        )
        cause = f"Pod {name} can't be scheduled: it needs {needs}; no node has any {gone} left."
    else:
        cause = f"Pod {name} can't be scheduled: {message or 'the scheduler found no node'}."
    alloc_cpu = max((r.alloc_cpu for r in rooms), default=0)
    alloc_mem = max((r.alloc_mem for r in rooms), default=0)
    bigger = None
    if rooms and (need_cpu > alloc_cpu or need_mem > alloc_mem):
        bigger = larger_machine(need_cpu, need_mem, machine) or "e2-standard-4"
    target = pool_nodes_needed(
        rooms, snapshot.pods, [pod_requests(p.get("spec") or {}) for p in pending]
    )
    evidence.append(f"pod requests: {needs}")
    for room in rooms[:6]:
        evidence.append(
            f"node {room.name} ({room.pool}): free {format_cpu(max(room.free_cpu, 0))}"
            f", {format_memory(max(room.free_mem, 0))} of "
            f"{format_cpu(room.alloc_cpu)}, {format_memory(room.alloc_mem)}"
        )
    return Diagnosis(
        subject,
        "can't be scheduled",
        cause,
        _resize_action(cluster, pool, target, machine, bigger),
        evidence,
        "error",
        RANK_CAPACITY,
        workload,
    )


def _resize_action(
    cluster: dict[str, Any], pool: str, nodes: int, machine: str, bigger: str | None
) -> str:
    """The fix for too little room, with the gcloud command for the cluster when its
    name is known (the location flag only when that is known too), else in words."""
    name = cluster.get("name")
    where = _location_flag(str(cluster.get("location") or ""))
    if bigger:
        if not name:
            return (
                f"the pod is larger than a whole {machine or 'node'}: add a node pool of a "
                f"larger machine type (such as {bigger}) to your cluster, then resume"
            )
        return (
            f"the pod is larger than a whole {machine or 'node'}: add a node pool of a "
            f'larger machine type, e.g. "gcloud container node-pools create kfp-pool '
            f'--cluster {name} --machine-type {bigger} --num-nodes 3{where}", then resume'
        )
    if not name:
        return (
            f"add nodes to your cluster: grow node pool {pool} to {plural(nodes, 'node')} "
            "(or use a larger machine type), then resume"
        )
    return (
        f'add nodes with "gcloud container clusters resize {name} --node-pool {pool} '
        f'--num-nodes {nodes}{where}" (or use a larger machine type), then resume'
    )


# -- P5: images ------------------------------------------------------------------------
IMAGE_RULES: tuple[tuple[re.Pattern[str], str, str, str], ...] = (
    (
        re.compile(r"429|toomanyrequests|too many requests|rate limit", re.I),
        "rate limit",
        "the registry is refusing pulls because of its rate limit (Docker Hub allows about 100 "
        "anonymous pulls per 6 hours per IP)",
        "wait a few hours, authenticate the pulls, or mirror the image into Artifact Registry; "
        "then resume",
    ),
    (
        re.compile(r"no matching manifest", re.I),
        "wrong architecture",
        "the image has no build for the nodes' CPU architecture (KFP images are amd64; arm64 "
        "nodes such as t2a can't run them)",
        "use amd64 nodes (e2, n1, n2 machine types), then resume",
    ),
    (
        re.compile(
            r"i/o timeout|dial tcp|no such host|tls handshake timeout|network is "
            r"unreachable|connection refused",
            re.I,
        ),
        "no egress",
        "the nodes can't reach the image registry (a private cluster without Cloud NAT has no "
        "internet access)",
        'give the nodes internet access with Cloud NAT ("gcloud compute routers create nat-router '
        '--network NETWORK --region REGION", then "gcloud compute routers nats create nat-config '
        "--router nat-router --region REGION --auto-allocate-nat-external-ips "
        '--nat-all-subnet-ip-ranges"), then resume',
    ),
    (
        re.compile(
            r"manifest unknown|not found|does not exist|pull access denied|repository .*"
            r"denied|unauthorized|invalid reference|invalidimagename",
            re.I,
        ),
        "image gone",
        "the image or its tag does not exist in the registry",
        'check that the image exists ("docker manifest inspect IMAGE"): a mirror or a custom '
        "overlay may name one that was never pushed, and a private one needs the nodes to have "
        "read access; fix the reference in the manifests, then resume",
    ),
)

OLD_KFP_REGISTRY = "gcr.io/ml-pipeline/"
"""Where KFP's images were before 2.4.0; Container Registry is removing them."""
DUMMY_TAG = ":dummy"
"""The tag a KFP kustomize base carries until an env/ overlay sets the real one."""


def _image_gone(image: str, cause: str, action: str) -> tuple[str, str]:
    """(cause, action) for an image that is not in its registry, told by the reference
    (the rule's own pair when it says nothing more): advising "2.4.0 or later" to
    someone installing 2.17.0 would send them in circles."""
    if image.endswith(DUMMY_TAG):
        return (
            "its ':dummy' tag means a kustomize base was applied without the env/ overlay "
            "that sets the real image tags (the wrong kustomize path)",
            "install from an env/ overlay (choose the environment in the Deployment mode "
            "step, e.g. platform-agnostic), then resume",
        )
    if OLD_KFP_REGISTRY in image:
        return (
            "KFP's old gcr.io/ml-pipeline images are being removed with Container Registry",
            "install KFP 2.4.0 or later, whose images are on ghcr.io, then resume",
        )
    if image and image != "?":
        action = action.replace("IMAGE", image)
    return cause, action


def classify_image_error(text: str, image: str = "") -> tuple[str, str, str]:
    """(label, cause, action) for an image pull error message about ``image``."""
    for pattern, label, cause, action in IMAGE_RULES:
        if pattern.search(text or ""):
            if label == "image gone":
                cause, action = _image_gone(image, cause, action)
            return label, cause, action
    return (
        "pull failed",
        "the image could not be pulled",
        'read the pod\'s events ("kubectl describe pod"), fix the image reference or the '
        "registry access, then resume",
    )


def diagnose_image(
    pod: dict[str, Any],
    status: dict[str, Any],
    events: list[dict[str, Any]],
    replicasets: list[dict[str, Any]],
) -> Diagnosis:
    name, ns = _name(pod), _ns(pod)
    waiting = (status.get("state") or {}).get("waiting") or {}
    image = status.get("image") or next(
        (
            c.get("image")
            for c in ((pod.get("spec") or {}).get("containers") or [])
            + ((pod.get("spec") or {}).get("initContainers") or [])
            if c.get("name") == status.get("name")
        ),
        "?",
    )
    texts = [
        e.get("message") or ""
        for e in events_for(events, "Pod", name, ns)
        if e.get("reason") in ("Failed", "BackOff", "ErrImagePull", "InspectFailed")
    ]
    texts.append(str(waiting.get("message") or ""))
    label, cause, action = classify_image_error(" ".join(texts), str(image))
    workload = workload_of(pod, replicasets)
    evidence = [f"image: {image}", f"state: {waiting.get('reason', '?')}"]
    evidence += [f"event: {t}" for t in texts if t][-3:]
    return Diagnosis(
        f"Pod {ns}/{name}",
        f"image can't be pulled ({label})",
        f"{role(workload)} can't start: {cause}; image {image}.",
        action,
        evidence,
        "error",
        RANK_IMAGE,
        workload,
    )


# -- P11 and crashes -------------------------------------------------------------------
GLOG_PREFIX = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+ [\w./-]+:\d+\] ")


def clean_log_line(line: str, limit: int = 240) -> str:
    """A log line for a sentence: without the glog header (``F1128 12:00:01.1 1 x.go:9] ``)."""
    text = GLOG_PREFIX.sub("", line.strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


DB_LOG = re.compile(
    r"mysql_real_connect|Unknown database|:3306|bad connection|"
    r"connection refused|MLMDEnv table exists|can't connect to|dial tcp",
    re.I,
)


def diagnose_crash(
    pod: dict[str, Any], status: dict[str, Any], snapshot: Snapshot, db_ready: bool
) -> Diagnosis:
    name, ns = _name(pod), _ns(pod)
    workload = workload_of(pod, snapshot.replicasets)
    restarts = int(status.get("restartCount") or 0)
    container = str(status.get("name") or "")
    lines = snapshot.logs.get(f"{ns}/{name}/{container}") or []
    last = clean_log_line(next((ln for ln in reversed(lines) if ln.strip()), ""))
    terminated = (
        (status.get("lastState") or {}).get("terminated")
        or (status.get("state") or {}).get("terminated")
        or {}
    )
    evidence = [
        f"container {container}: restarted {restarts} times"
        + (f", last exit code {terminated.get('exitCode')}" if terminated else "")
    ]
    evidence += [f"log: {ln}" for ln in lines[-10:]]
    age = age_seconds(pod, snapshot.now)
    early = snapshot.db_grace > 0 and age is not None and age < snapshot.db_grace
    if workload in DB_DEPENDENT and (not db_ready or (early and DB_LOG.search(" ".join(lines)))):
        why = "MySQL is not ready yet" if not db_ready else "it started less than 5 minutes ago"
        return Diagnosis(
            f"Pod {ns}/{name}",
            "restarting while its database starts",
            f"{role(workload)} restarts because {why}; this is normal for a few minutes while "
            "MySQL starts.",
            "wait; if MySQL itself has a problem (listed above), fix that first",
            evidence,
            "info",
            RANK_CRASH,
            workload,
        )
    if DB_LOG.search(last or ""):
        cause = f"{role(workload)} keeps crashing because it can't reach its database: {last}"
        action = _database_check(snapshot, ns)
    else:
        said = f"; its last log line says: {last}" if last else " and left no log lines"
        cause = f"{role(workload)} keeps crashing (restarted {restarts} times){said}"
        action = (
            f'read the whole log with "kubectl logs -n {ns} {name} -c {container} '
            '--previous" and fix what it reports, then resume'
        )
    return Diagnosis(
        f"Pod {ns}/{name}",
        "crash-looping",
        cause.rstrip(".") + ".",
        action,
        evidence,
        "error",
        RANK_CRASH,
        workload,
    )


def _database_check(snapshot: Snapshot, ns: str) -> str:
    """Where to look when a pod cannot reach its database: the database this install
    runs (in-cluster MySQL, or the Cloud SQL proxy), not a list of both."""
    running = {workload_of(p, snapshot.replicasets) for p in snapshot.pods if _ns(p) == ns}
    mysql = (
        f'check that the mysql pod is Running and Ready ("kubectl get pods -n {ns} -l app=mysql")'
    )
    proxy = (
        "check the Cloud SQL proxy's log for a wrong instance name or a missing permission "
        f'("kubectl logs -n {ns} deploy/cloudsqlproxy")'
    )
    if "cloudsqlproxy" in running:
        return f"{proxy}; then resume"
    if "mysql" in running:
        return f"{mysql}; then resume"
    return f"{mysql}; with Cloud SQL, {proxy}; then resume"


# -- admission (PSA, webhooks) from ReplicaSet events ----------------------------------
def diagnose_failed_create(rs_name: str, ns: str, message: str, workload: str) -> Diagnosis | None:
    evidence = [f"event FailedCreate: {message}"]
    if "violates PodSecurity" in message:
        level = re.search(r'PodSecurity "([a-z]+)', message)
        level_name = level.group(1) if level else "baseline"
        host = "hostNetwork" in message or "host namespaces" in message
        why = " (it uses hostNetwork)" if host else ""
        return Diagnosis(
            f"ReplicaSet {ns}/{rs_name}",
            "blocked by Pod Security",
            f"{role(workload)} can't create pods: namespace {ns} enforces the Pod Security "
            f"level '{level_name}', which its pods break{why}.",
            "use the local port-forward instead (kfwizard offers it), or allow it with "
            f'"kubectl label namespace {ns} pod-security.kubernetes.io/enforce=privileged '
            '--overwrite" and resume',
            evidence,
            "error",
            RANK_ADMISSION,
            workload,
        )
    hook = re.search(r'failed calling webhook "([^"]+)"', message)
    if hook:
        return Diagnosis(
            f"ReplicaSet {ns}/{rs_name}",
            "admission webhook not answering",
            f"{role(workload)} can't create pods: the admission webhook {hook.group(1)} does "
            "not answer.",
            "check the webhook's own Deployment is Available (\"kubectl get "
            'mutatingwebhookconfigurations,validatingwebhookconfigurations"); on private GKE '
            "open the webhook port from the control plane; then resume",
            evidence,
            "error",
            RANK_ADMISSION,
            workload,
        )
    if "exceeded quota" in message:
        return Diagnosis(
            f"ReplicaSet {ns}/{rs_name}",
            "ResourceQuota exceeded",
            f"{role(workload)} can't create pods: the namespace's ResourceQuota is used up.",
            f'raise or remove the quota ("kubectl describe quota -n {ns}"), then resume',
            evidence,
            "error",
            RANK_ADMISSION,
            workload,
        )
    return None


# -- the whole picture -----------------------------------------------------------------
def databases_ready(snapshot: Snapshot) -> bool:
    """True unless a database pod exists in the namespaces and is not Ready."""
    for pod in snapshot.pods:
        if (
            _ns(pod) in snapshot.namespaces
            and workload_of(pod, snapshot.replicasets) in DATABASES
            and not _pod_ready(pod)
        ):
            return False
    return True


def diagnose(snapshot: Snapshot, critical: Iterable[str] | None = None) -> list[Diagnosis]:
    """Every finding, root causes first; warn-only workloads are at most warnings."""
    found: list[Diagnosis] = []
    for pvc in snapshot.pvcs:
        d = diagnose_pvc(pvc, snapshot.storageclasses, snapshot.events)
        if d:
            found.append(d)
    ours = [p for p in snapshot.pods if _ns(p) in snapshot.namespaces]
    pending = [p for p in ours if _unschedulable(p)]
    db_ready = databases_ready(snapshot)
    for pod in ours:
        if (pod.get("status") or {}).get("phase") in ("Succeeded",) or _pod_ready(pod):
            continue
        d = _diagnose_pod(pod, snapshot, pending, db_ready)
        if d is not None:
            found.append(d)
    found += _failed_creates(snapshot)
    critical_set = set(critical) if critical is not None else None
    for d in found:
        if (
            critical_set is not None
            and d.workload
            and d.workload not in critical_set
            and d.severity == "error"
        ):
            d.severity = "warning"
            d.cause = (
                d.cause.rstrip(".") + " (optional component; the install can work without it)."
            )
    order = {s: i for i, s in enumerate(SEVERITIES)}
    found.sort(
        key=lambda d: (order.get(d.severity, 3), d.rank, 0 if d.workload in DATABASES else 1)
    )
    return _dedupe(found)


def _dedupe(found: list[Diagnosis]) -> list[Diagnosis]:
    """One diagnosis per (workload, problem): replicas of one Deployment say the same."""
    seen: set[tuple[str, str]] = set()
    out = []
    for d in found:
        key = (d.workload or d.subject, d.problem)
        if key in seen:
            continue
        seen.add(key)
        out.append(d)
    return out


def _unschedulable(pod: dict[str, Any]) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "PodScheduled" and str(cond.get("status")) == "False":
            return True
    return False


def _diagnose_pod(
    pod: dict[str, Any], snapshot: Snapshot, pending: list[dict[str, Any]], db_ready: bool
) -> Diagnosis | None:
    if _unschedulable(pod):
        return diagnose_unschedulable(pod, snapshot, pending)
    for status in _container_statuses(pod):
        waiting = (status.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason") or ""
        if reason in ("ErrImagePull", "ImagePullBackOff", "InvalidImageName"):
            return diagnose_image(pod, status, snapshot.events, snapshot.replicasets)
    for status in _container_statuses(pod):
        waiting = (status.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason") or ""
        if reason == "CrashLoopBackOff" or int(status.get("restartCount") or 0) >= 3:
            return diagnose_crash(pod, status, snapshot, db_ready)
        if reason in ("CreateContainerConfigError", "CreateContainerError"):
            workload = workload_of(pod, snapshot.replicasets)
            return Diagnosis(
                f"Pod {_ns(pod)}/{_name(pod)}",
                "can't create its container",
                f"{role(workload)} can't start: {waiting.get('message') or reason}.",
                "create the Secret or ConfigMap it names (usually a missing manifest), then resume",
                [f"state: {reason}"],
                "error",
                RANK_OTHER,
                workload,
            )
    return _not_ready(pod, snapshot, db_ready)


def _not_ready(pod: dict[str, Any], snapshot: Snapshot, db_ready: bool = True) -> Diagnosis | None:
    """Running but never Ready (a failing readiness probe), or Pending with no reason."""
    name, ns = _name(pod), _ns(pod)
    workload = workload_of(pod, snapshot.replicasets)
    phase = (pod.get("status") or {}).get("phase")
    logs = [
        ln
        for key, lines in snapshot.logs.items()
        if key.startswith(f"{ns}/{name}/")
        for ln in lines
    ]
    if phase == "Running" and workload in DB_DEPENDENT and not db_ready:
        return Diagnosis(
            f"Pod {ns}/{name}",
            "waiting for its database",
            f"{role(workload)} is not ready because MySQL is not ready yet; this is normal "
            "for a few minutes while MySQL starts.",
            "wait; if MySQL itself has a problem (listed above), fix that first",
            [f"log: {ln}" for ln in logs[-5:]],
            "info",
            RANK_CRASH,
            workload,
        )
    probes = [
        event_text(e)
        for e in events_for(snapshot.events, "Pod", name, ns)
        if e.get("reason") in ("Unhealthy", "ProbeWarning")
    ][-3:]
    if phase == "Running":
        return Diagnosis(
            f"Pod {ns}/{name}",
            "running but not ready",
            f"{role(workload)} is running but never becomes ready"
            + (" (its readiness probe fails)." if probes else "."),
            f'look at its log ("kubectl logs -n {ns} {name}") and events ("kubectl describe pod '
            f'-n {ns} {name}"), then resume',
            probes,
            "error",
            RANK_OTHER,
            workload,
        )
    return None


def _failed_creates(snapshot: Snapshot) -> list[Diagnosis]:
    out = []
    seen: set[tuple[str, str]] = set()
    for event in snapshot.events:
        if event.get("reason") != "FailedCreate":
            continue
        inv = event.get("involvedObject") or event.get("regarding") or {}
        if inv.get("kind") not in ("ReplicaSet", "StatefulSet", "DaemonSet", "Job"):
            continue
        ns = inv.get("namespace") or _ns(event)
        if ns not in snapshot.namespaces:
            continue
        name = str(inv.get("name"))
        if (ns, name) in seen:
            continue
        seen.add((ns, name))
        rs = next((r for r in snapshot.replicasets if _name(r) == name and _ns(r) == ns), None)
        workload = name
        if inv.get("kind") == "ReplicaSet":
            owner = next(
                (
                    o.get("name")
                    for o in _meta(rs or {}).get("ownerReferences") or []
                    if o.get("kind") == "Deployment"
                ),
                None,
            )
            workload = str(owner or name.rsplit("-", 1)[0])
        d = diagnose_failed_create(name, ns, str(event.get("message") or ""), workload)
        if d:
            out.append(d)
    return out


def summary(diagnoses: list[Diagnosis]) -> tuple[str, str]:
    """(cause, action) of the first finding, for a ``StepFailed``."""
    if not diagnoses:
        return (
            "The workloads did not become ready and the cluster shows no error.",
            'look at "kubectl get pods -A" and "kubectl get events -A", then resume',
        )
    first = diagnoses[0]
    return first.cause, first.action


# -- the collector ---------------------------------------------------------------------
def collect(
    clients: Any,
    namespaces: Iterable[str],
    *,
    cluster: dict[str, Any] | None = None,
    control: Any = None,
    log_lines: int = LOG_LINES,
) -> Snapshot:
    """Read what the rules need: pods (all namespaces, for node usage), events, PVCs,
    ReplicaSets and Deployments of ``namespaces``, nodes, StorageClasses, and the last log
    lines of containers that restarted. Kinds the user may not list are skipped."""
    from kfwizard.kube.rest import list_objects

    names = [n for n in dict.fromkeys(namespaces) if n]
    snap = Snapshot(names, cluster=dict(cluster or {}))

    def items(api_version: str, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        try:
            return list(
                list_objects(clients, api_version, kind, namespace=namespace, control=control).get(
                    "items"
                )
                or []
            )
        except Exception:
            return []

    snap.pods = items("v1", "Pod")
    if not snap.pods:
        for ns in names:
            snap.pods += items("v1", "Pod", ns)
    for ns in names:
        snap.events += items("v1", "Event", ns)
        snap.pvcs += items("v1", "PersistentVolumeClaim", ns)
        snap.replicasets += items("apps/v1", "ReplicaSet", ns)
        snap.deployments += items("apps/v1", "Deployment", ns)
    snap.nodes = items("v1", "Node")
    snap.storageclasses = items("storage.k8s.io/v1", "StorageClass")
    for pod in snap.pods:
        if _ns(pod) not in names:
            continue
        for status in _container_statuses(pod):
            waiting = ((status.get("state") or {}).get("waiting") or {}).get("reason")
            if int(status.get("restartCount") or 0) > 0 or waiting == "CrashLoopBackOff":
                key = f"{_ns(pod)}/{_name(pod)}/{status.get('name')}"
                snap.logs[key] = read_log(
                    clients, _ns(pod), _name(pod), str(status.get("name")), log_lines
                )
    return snap


def read_log(clients: Any, namespace: str, pod: str, container: str, lines: int) -> list[str]:
    """The last ``lines`` of the previous run (what crashed), else of the current one."""
    for previous in (True, False):
        try:
            text = clients.core.read_namespaced_pod_log(
                pod,
                namespace,
                container=container,
                previous=previous,
                tail_lines=lines,
                _request_timeout=10,
            )
        except Exception:
            continue
        if text:
            return [ln for ln in str(text).splitlines() if ln.strip()][-lines:]
    return []


def collect_diagnoses(
    clients: Any,
    namespace: str | Iterable[str],
    *,
    cluster: dict[str, Any] | None = None,
    control: Any = None,
    critical: Iterable[str] | None = None,
) -> list[Diagnosis]:
    """Collect and diagnose in one call (support bundles, the CLI)."""
    names = [namespace] if isinstance(namespace, str) else list(namespace)
    return diagnose(collect(clients, names, cluster=cluster, control=control), critical)
