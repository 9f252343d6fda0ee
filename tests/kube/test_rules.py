"""Pure rules of the kube package, on plain dicts: no server needed.

Quantities, retry classification, readiness of workloads, and every diagnosis rule
(P3 capacity, P4 storage, P5 images, P11 crash-loops, PSA and webhook FailedCreate).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kfwizard.kube import diagnose as dg
from kfwizard.kube.capacity import NODEPOOL_LABEL
from kfwizard.kube.objects import fingerprint, labels_match, ref_text
from kfwizard.kube.preflight import Check, failure_text, parse_minor, set_requests
from kfwizard.kube.quantity import (
    cpu_millis,
    format_cpu,
    format_memory,
    memory_bytes,
    pod_requests,
)
from kfwizard.kube.retry import backoff_delay, describe_error, is_retryable, retry_after
from kfwizard.kube.teardown import delete_order
from kfwizard.kube.wait import workload_ready

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def _ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _pod(
    name: str,
    *,
    node: str | None = None,
    cpu: str = "100m",
    mem: str = "800Mi",
    phase: str = "Pending",
    conditions: list | None = None,
    statuses: list | None = None,
    age: float = 60,
    owner: str | None = None,
    namespace: str = "kubeflow",
) -> dict:
    owner = owner or name.rsplit("-", 2)[0]
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "creationTimestamp": _ago(age),
            "labels": {"app": owner},
            "ownerReferences": [{"kind": "ReplicaSet", "name": f"{owner}-5f7c9"}],
        },
        "spec": {
            "nodeName": node,
            "containers": [
                {
                    "name": "main",
                    "image": f"example/{owner}:1",
                    "resources": {"requests": {"cpu": cpu, "memory": mem}},
                }
            ],
        },
        "status": {
            "phase": phase,
            "conditions": conditions or [],
            "containerStatuses": statuses or [],
        },
    }


def _node(name: str, cpu: str = "940m", mem: str = "2.8Gi", pool: str = "default-pool") -> dict:
    return {
        "metadata": {
            "name": name,
            "labels": {NODEPOOL_LABEL: pool, "node.kubernetes.io/instance-type": "e2-small"},
        },
        "spec": {},
        "status": {
            "allocatable": {"cpu": cpu, "memory": mem, "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def _event(kind: str, name: str, reason: str, message: str, ns: str = "kubeflow") -> dict:
    return {
        "involvedObject": {"kind": kind, "name": name, "namespace": ns},
        "reason": reason,
        "message": message,
        "type": "Warning",
        "lastTimestamp": _ago(5),
        "metadata": {"namespace": ns, "name": f"{name}.1"},
    }


# -- quantities ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "millis"), [("100m", 100), ("1", 1000), ("0.5", 500), ("2500m", 2500), (2, 2000)]
)
def test_cpu_millis(text: object, millis: int) -> None:
    assert cpu_millis(text) == millis


@pytest.mark.parametrize(
    ("text", "num"),
    [
        ("800Mi", 800 * 2**20),
        ("1Gi", 2**30),
        ("1G", 10**9),
        ("128974848", 128974848),
        ("1e3", 1000),
    ],
)
def test_memory_bytes(text: str, num: int) -> None:
    assert memory_bytes(text) == num


def test_formats() -> None:
    assert format_cpu(50) == "50m CPU"
    assert format_cpu(0) == "0 CPU", "not '0m CPU'"
    assert format_cpu(2000) == "2 CPU"
    assert format_cpu(1500) == "1.5 CPU"
    assert format_memory(800 * 2**20) == "800Mi"
    assert format_memory(3 * 2**30 + 2**29) == "3.5Gi"


def test_pod_requests_counts_init_containers_and_limits() -> None:
    spec = {
        "initContainers": [{"resources": {"requests": {"cpu": "500m", "memory": "64Mi"}}}],
        "containers": [
            {"resources": {"requests": {"cpu": "100m", "memory": "100Mi"}}},
            {"resources": {"limits": {"cpu": "100m", "memory": "30Mi"}}},
        ],
    }
    assert pod_requests(spec) == (500, 130 * 2**20)


# -- retry classification --------------------------------------------------------------
class _Err(Exception):
    def __init__(self, status: int, headers: dict | None = None, body: str = "") -> None:
        super().__init__(f"HTTP {status}")
        self.status, self.headers, self.body, self.reason = status, headers, body, "x"


def test_retryable_statuses_and_retry_after() -> None:
    assert is_retryable(_Err(429)) and is_retryable(_Err(503)) and is_retryable(_Err(500))
    assert not is_retryable(_Err(404)) and not is_retryable(_Err(422))
    assert is_retryable(ConnectionResetError("reset"))
    assert retry_after(_Err(429, {"Retry-After": "2"})) == 2.0
    assert retry_after(_Err(429, {"Retry-After": "999"})) == 30.0
    assert retry_after(_Err(500)) is None
    assert describe_error(_Err(503, body='{"message": "down"}')) == "HTTP 503 (down)"


def test_backoff_grows_with_jitter_and_cap() -> None:
    delays = [backoff_delay(i, 0.1, 2.0) for i in range(8)]
    assert 0.05 <= delays[0] <= 0.1
    assert all(d <= 2.0 for d in delays)
    assert delays[5] >= 1.0


# -- objects ---------------------------------------------------------------------------
def test_ref_text_and_selectors_and_fingerprint() -> None:
    assert (
        ref_text({"kind": "Deployment", "namespace": "kubeflow", "name": "x"})
        == "Deployment kubeflow/x"
    )
    assert (
        ref_text({"kind": "Namespace", "namespace": "", "name": "kubeflow"}) == "Namespace kubeflow"
    )
    assert labels_match({"app": "ui"}, {"app": "ui", "x": "y"})
    assert not labels_match({"matchLabels": {"app": "ui"}}, {"app": "api"})
    assert labels_match(
        {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]},
        {"tier": "b"},
    )
    a = [{"kind": "A", "metadata": {"name": "1"}}]
    assert fingerprint(a) == fingerprint([{"metadata": {"name": "1"}, "kind": "A"}])
    assert fingerprint(a) != fingerprint([{"kind": "A", "metadata": {"name": "2"}}])


def test_delete_order_namespaced_then_cluster_then_crds() -> None:
    refs = [
        {"kind": "Namespace", "namespace": "", "name": "kubeflow"},
        {"kind": "CustomResourceDefinition", "namespace": "", "name": "w.argoproj.io"},
        {"kind": "ClusterRole", "namespace": "", "name": "r"},
        {"kind": "ConfigMap", "namespace": "kubeflow", "name": "a"},
        {"kind": "Deployment", "namespace": "kubeflow", "name": "b"},
    ]
    kinds = [r["kind"] for r in delete_order(refs)]
    assert kinds == [
        "Deployment",
        "ConfigMap",
        "ClusterRole",
        "Namespace",
        "CustomResourceDefinition",
    ]


# -- readiness -------------------------------------------------------------------------
def test_workload_ready_follows_rollout_status() -> None:
    dep = {
        "metadata": {"generation": 2},
        "spec": {"replicas": 1},
        "status": {"observedGeneration": 1, "availableReplicas": 1, "updatedReplicas": 1},
    }
    assert workload_ready(dep, "Deployment")[0] is False
    dep["status"]["observedGeneration"] = 2
    dep["status"]["readyReplicas"] = 1
    assert workload_ready(dep, "Deployment") == (True, "1/1", "")
    sts = {"spec": {"replicas": 2}, "status": {"readyReplicas": 1}}
    assert workload_ready(sts, "StatefulSet")[:2] == (False, "1/2")
    ds = {"status": {"desiredNumberScheduled": 3, "numberReady": 3}}
    assert workload_ready(ds, "DaemonSet")[0] is True


# -- P3 capacity -----------------------------------------------------------------------
def test_unschedulable_names_the_short_resource_and_resize_command() -> None:
    busy = _pod("ml-pipeline-aaa-111", node="n1", cpu="890m", mem="1Gi", phase="Running")
    stuck = _pod(
        "mysql-5f7c9-abcde",
        cpu="100m",
        mem="800Mi",
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/1 nodes are available: 1 Insufficient cpu.",
            }
        ],
    )
    snap = dg.Snapshot(
        ["kubeflow"],
        pods=[busy, stuck],
        nodes=[_node("n1")],
        cluster={"name": "kubeflow-testing", "location": "us-central1-a"},
        now=NOW,
    )
    found = dg.diagnose(snap)
    first = found[0]
    assert first.problem == "can't be scheduled"
    assert "needs 100m CPU and 800Mi memory" in first.cause
    assert "largest free space on a node is 50m CPU" in first.cause
    assert first.action.startswith(
        'add nodes with "gcloud container clusters resize kubeflow-testing --node-pool '
        "default-pool --num-nodes "
    )
    assert "--num-nodes 2" in first.action or "--num-nodes 3" in first.action
    assert '--zone us-central1-a" (or use a larger machine type)' in first.action
    assert "`" not in first.action  # plain text: commands in plain quotes
    # Without the cluster's name: in words, no CLUSTER or ZONE placeholder.
    snap.cluster = {}
    action = dg.diagnose(snap)[0].action
    assert action.startswith("add nodes to your cluster: grow node pool default-pool to ")
    assert "CLUSTER" not in action and "ZONE" not in action and "`" not in action


def test_unschedulable_pod_bigger_than_a_node_suggests_a_machine_type() -> None:
    stuck = _pod(
        "mysql-5f7c9-abcde",
        cpu="100m",
        mem="4Gi",
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/1 nodes are available: 1 Insufficient memory.",
            }
        ],
    )
    snap = dg.Snapshot(
        ["kubeflow"],
        pods=[stuck],
        nodes=[_node("n1")],
        cluster={"name": "kubeflow-testing", "location": "us-central1"},
        now=NOW,
    )
    first = dg.diagnose(snap)[0]
    assert "memory" in first.cause
    assert 'e.g. "gcloud container node-pools create kfp-pool --cluster kubeflow-testing ' in (
        first.action
    )
    assert '--num-nodes 3 --region us-central1", then resume' in first.action
    assert "`" not in first.action
    snap.cluster = {}
    action = dg.diagnose(snap)[0].action
    assert "add a node pool of a larger machine type (such as " in action
    assert ") to your cluster, then resume" in action and "`" not in action


# -- P4 storage ------------------------------------------------------------------------
def test_pvc_without_default_storageclass_gives_the_patch_command() -> None:
    pvc = {
        "metadata": {"name": "mysql-pv-claim", "namespace": "kubeflow"},
        "spec": {"resources": {"requests": {"storage": "20Gi"}}},
        "status": {"phase": "Pending"},
    }
    sc = {"metadata": {"name": "standard-rwo", "annotations": {}}}
    waiting = _pod(
        "mysql-5f7c9-abcde",
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/3 nodes are available: pod has unbound immediate "
                "PersistentVolumeClaims.",
            }
        ],
    )
    snap = dg.Snapshot(
        ["kubeflow"], pods=[waiting], pvcs=[pvc], storageclasses=[sc], nodes=[_node("n1")], now=NOW
    )
    found = dg.diagnose(snap)
    assert found[0].subject == "PVC kubeflow/mysql-pv-claim"
    assert "no default one" in found[0].cause
    assert found[0].action.startswith(
        "mark a StorageClass as the default, then resume: kubectl patch storageclass standard-rwo"
    )
    assert "is-default-class" in found[0].action and "`" not in found[0].action
    assert found[1].problem == "waiting for its volume"


# -- P5 images -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "label"),
    [
        ("toomanyrequests: You have reached your pull rate limit", "rate limit"),
        ("no matching manifest for linux/arm64 in the manifest list entries", "wrong architecture"),
        ("dial tcp 142.250.1.82:443: i/o timeout", "no egress"),
        (
            "manifest for gcr.io/ml-pipeline/frontend:dummy not found: manifest unknown",
            "image gone",
        ),
    ],
)
def test_image_errors_are_sorted_by_event_text(message: str, label: str) -> None:
    status = {
        "name": "main",
        "image": "example/x:1",
        "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}},
    }
    pod = _pod("ml-pipeline-ui-5f7c9-abcde", statuses=[status])
    events = [
        _event(
            "Pod",
            pod["metadata"]["name"],
            "Failed",
            f'Failed to pull image "example/x:1": {message}',
        )
    ]
    snap = dg.Snapshot(["kubeflow"], pods=[pod], events=events, now=NOW)
    first = dg.diagnose(snap)[0]
    assert label in first.problem
    assert "ml-pipeline-ui" in first.cause
    assert "`" not in first.action


@pytest.mark.parametrize(
    ("image", "cause", "action"),
    [
        (
            "gcr.io/ml-pipeline/frontend:1.8.5",
            "old gcr.io/ml-pipeline images are being removed",
            "install KFP 2.4.0 or later, whose images are on ghcr.io",
        ),
        (
            "ghcr.io/kubeflow/kfp-frontend:dummy",
            "without the env/ overlay",
            "install from an env/ overlay",
        ),
        (
            "ghcr.io/kubeflow/kfp-frontend:2.17.0",
            "does not exist in the registry",
            '"docker manifest inspect ghcr.io/kubeflow/kfp-frontend:2.17.0"',
        ),
    ],
)
def test_a_missing_image_is_explained_by_its_reference(image: str, cause: str, action: str) -> None:
    """Only the old registry's images call for a newer KFP; a published version's image
    that is missing points at the reference (a mirror, an overlay), not at an upgrade."""
    status = {
        "name": "main",
        "image": image,
        "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}},
    }
    pod = _pod("ml-pipeline-ui-5f7c9-abcde", statuses=[status])
    failed = f'Failed to pull image "{image}": rpc error: code = NotFound desc = {image}: not found'
    events = [_event("Pod", pod["metadata"]["name"], "Failed", failed)]
    first = dg.diagnose(dg.Snapshot(["kubeflow"], pods=[pod], events=events, now=NOW))[0]
    assert first.problem == "image can't be pulled (image gone)"
    assert cause in first.cause and image in first.cause
    assert action in first.action and first.action.endswith("then resume")
    if "2.17.0" in image:
        assert "2.4.0" not in first.action  # the version is already a published one


# -- P11 crash loops -------------------------------------------------------------------
def _crash(name: str, restarts: int = 5) -> dict:
    return {
        "name": "main",
        "restartCount": restarts,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}},
    }


def test_crashloop_while_mysql_is_not_ready_is_normal() -> None:
    api = _pod("ml-pipeline-5f7c9-abcde", phase="Running", statuses=[_crash("ml-pipeline")])
    mysql = _pod("mysql-5f7c9-zzzzz", phase="Pending")
    snap = dg.Snapshot(["kubeflow"], pods=[api, mysql], now=NOW)
    found = [d for d in dg.diagnose(snap) if d.workload == "ml-pipeline"]
    assert found[0].severity == "info"
    assert "normal for a few minutes while MySQL starts" in found[0].cause


def test_crashloop_after_mysql_is_up_shows_last_log_lines() -> None:
    api = _pod(
        "ml-pipeline-5f7c9-abcde", phase="Running", statuses=[_crash("ml-pipeline")], age=900
    )
    mysql = _pod(
        "mysql-5f7c9-zzzzz", phase="Running", conditions=[{"type": "Ready", "status": "True"}]
    )
    logs = {"kubeflow/ml-pipeline-5f7c9-abcde/main": ["starting", "panic: config is broken"]}
    snap = dg.Snapshot(["kubeflow"], pods=[api, mysql], logs=logs, now=NOW)
    first = dg.diagnose(snap)[0]
    assert first.severity == "error" and first.problem == "crash-looping"
    assert "the KFP API server" in first.cause and "panic: config is broken" in first.cause
    assert "log: panic: config is broken" in first.evidence
    assert '"kubectl logs -n kubeflow ml-pipeline-5f7c9-abcde -c main --previous"' in first.action
    assert "`" not in first.action


# -- admission -------------------------------------------------------------------------
def test_psa_failed_create_for_proxy_agent() -> None:
    msg = (
        'pods "proxy-agent-7d9-x" is forbidden: violates PodSecurity "baseline:latest": '
        "host namespaces (hostNetwork=true)"
    )
    snap = dg.Snapshot(
        ["kubeflow"], events=[_event("ReplicaSet", "proxy-agent-7d9", "FailedCreate", msg)], now=NOW
    )
    found = dg.diagnose(snap, critical=["ml-pipeline"])
    assert found[0].problem == "blocked by Pod Security"
    assert found[0].severity == "warning"  # proxy-agent is optional
    assert (
        '"kubectl label namespace kubeflow pod-security.kubernetes.io/enforce=privileged '
        '--overwrite"'
    ) in found[0].action
    assert "`" not in found[0].action


def test_webhook_failed_create() -> None:
    msg = (
        'Internal error occurred: failed calling webhook "sidecar-injector.istio.io": '
        "connect: connection refused"
    )
    snap = dg.Snapshot(
        ["kubeflow"],
        events=[_event("ReplicaSet", "centraldashboard-66f", "FailedCreate", msg)],
        now=NOW,
    )
    first = dg.diagnose(snap)[0]
    assert "sidecar-injector.istio.io" in first.cause
    assert '("kubectl get mutatingwebhookconfigurations,' in first.action
    assert "`" not in first.action


def test_summary_without_findings_still_says_something() -> None:
    cause, action = dg.summary([])
    assert "no error" in cause
    assert action == 'look at "kubectl get pods -A" and "kubectl get events -A", then resume'


# -- preflight helpers -----------------------------------------------------------------
def test_preflight_helpers() -> None:
    assert parse_minor("v1.33.2-gke.100") == (1, 33)
    objs = [
        {
            "kind": "Deployment",
            "spec": {
                "replicas": 2,
                "template": {
                    "spec": {
                        "containers": [
                            {"resources": {"requests": {"cpu": "100m", "memory": "1Mi"}}}
                        ]
                    }
                },
            },
        }
    ]
    assert set_requests(objs) == (200, 2 * 2**20)
    cause, action, details = failure_text(
        [
            Check("rbac", "fail", "no rights.", "kubectl create clusterrolebinding x"),
            Check("capacity", "fail", "too small.", "resize"),
            Check("tools", "pass", "ok"),
        ]
    )
    assert "2 preflight checks failed (rbac, capacity)" in cause
    assert "kubectl create clusterrolebinding x" in action and "resize" in action
    assert action.startswith("fix these, then resume: ")
    assert len(details) == 3
    _, one, _ = failure_text([Check("capacity", "fail", "too small.", "resize")])
    assert one == "fix this, then resume: capacity: resize"


@pytest.mark.parametrize(
    ("database", "said", "not_said"),
    [
        ("mysql", '"kubectl get pods -n kubeflow -l app=mysql"); then resume', "Cloud SQL"),
        ("cloudsqlproxy", '"kubectl logs -n kubeflow deploy/cloudsqlproxy"); then resume', "mysql"),
        (None, "app=mysql\"); with Cloud SQL, check the Cloud SQL proxy's log", "`"),
    ],
)
def test_a_crash_that_cannot_reach_the_database_points_at_the_one_installed(
    database: str | None, said: str, not_said: str
) -> None:
    api = _pod(
        "ml-pipeline-5f7c9-abcde", phase="Running", statuses=[_crash("ml-pipeline")], age=900
    )
    ready = [{"type": "Ready", "status": "True"}]
    pods = [api] + (
        [_pod(f"{database}-5f7c9-zzzzz", phase="Running", conditions=ready)] if database else []
    )
    refused = (
        "F1129 client_manager.go:412] Failed to connect to MySQL: "
        "dial tcp 10.0.0.9:3306: connect: connection refused"
    )
    logs = {"kubeflow/ml-pipeline-5f7c9-abcde/main": [refused]}
    first = dg.diagnose(dg.Snapshot(["kubeflow"], pods=pods, logs=logs, now=NOW))[0]
    assert "can't reach its database" in first.cause
    assert said in first.action and not_said not in first.action
