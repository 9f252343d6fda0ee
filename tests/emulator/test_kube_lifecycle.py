"""Object lifecycles: namespace termination (finalizers block it, with the real
conditions), CRD deletion, garbage collection, PVC protection, admission webhooks and
the workload controllers' naming."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.emulator.conftest import apply_docs, wait_for


def test_namespace_deletion_waits_for_finalizers_and_names_them(
    kube_emu: Any, kube_dyn: Any
) -> None:
    from kubernetes.dynamic.exceptions import ForbiddenError, NotFoundError

    namespaces = kube_dyn.resources.get(api_version="v1", kind="Namespace")
    cms = kube_dyn.resources.get(api_version="v1", kind="ConfigMap")
    namespaces.create(body={"metadata": {"name": "doomed"}})
    created = namespaces.get(name="doomed")
    assert created.metadata.labels["kubernetes.io/metadata.name"] == "doomed"
    assert created.spec.finalizers == ["kubernetes"] and created.status.phase == "Active"
    wait_for(lambda: kube_emu.store.get("v1", "ServiceAccount", "doomed", "default"))
    cms.create(body={"metadata": {"name": "plain"}}, namespace="doomed")
    cms.create(
        body={"metadata": {"name": "held", "finalizers": ["example.com/hold"]}}, namespace="doomed"
    )
    namespaces.delete(name="doomed")
    assert namespaces.get(name="doomed").status.phase == "Terminating"
    with pytest.raises(ForbiddenError) as err:
        cms.create(body={"metadata": {"name": "late"}}, namespace="doomed")
    assert "because it is being terminated" in json.loads(err.value.body)["message"]

    def conditions() -> dict[str, Any]:
        ns = namespaces.get(name="doomed")
        return {c.type: c for c in ns.status.conditions or []}

    remaining = wait_for(lambda: conditions().get("NamespaceFinalizersRemaining"))
    assert remaining.status == "True" and remaining.reason == "SomeFinalizersRemain"
    assert remaining.message == (
        "Some content in the namespace has finalizers remaining: "
        "example.com/hold in 1 resource instances"
    )
    content = conditions()["NamespaceContentRemaining"]
    assert content.message == "Some resources are remaining: configmaps. has 1 resource instances"
    held = cms.get(name="held", namespace="doomed")
    assert held.metadata.deletionTimestamp
    with pytest.raises(NotFoundError):
        cms.get(name="plain", namespace="doomed")
    cms.patch(
        body={"metadata": {"finalizers": None}},
        name="held",
        namespace="doomed",
        content_type="application/merge-patch+json",
    )

    def gone() -> bool:
        try:
            namespaces.get(name="doomed")
        except NotFoundError:
            return True
        return False

    wait_for(gone)


def test_deleting_a_crd_deletes_its_objects_and_stops_serving_the_kind(
    kube_dyn: Any, kube_emu: Any
) -> None:
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Cluster",
            "names": {"kind": "Gadget", "plural": "gadgets"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
            ],
        },
    }
    apply_docs(
        kube_dyn,
        [crd, {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}],
    )
    assert kube_emu.store.get("example.com/v1", "Gadget", None, "g") is not None
    crds = kube_dyn.resources.get(
        api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition"
    )
    crds.delete(name="gadgets.example.com")
    wait_for(
        lambda: (
            kube_emu.store.get(
                "apiextensions.k8s.io/v1", "CustomResourceDefinition", None, "gadgets.example.com"
            )
            is None
        )
    )
    assert kube_emu.cluster.discovery.by_kind("example.com/v1", "Gadget") is None
    kube_dyn.resources.invalidate_cache()
    with pytest.raises(ResourceNotFoundError):
        kube_dyn.resources.get(api_version="example.com/v1", kind="Gadget")


def _deployment(name: str, replicas: int = 2, **pod_spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}], **pod_spec},
            },
        },
    }


def test_deleting_a_deployment_collects_its_replicaset_and_pods(
    kube_emu: Any, kube_dyn: Any
) -> None:
    apply_docs(
        kube_dyn, [{**_deployment("web"), "metadata": {"name": "web", "namespace": "default"}}]
    )
    wait_for(lambda: len(kube_emu.store.list("v1", "Pod", "default")) == 2)
    pods = kube_emu.store.list("v1", "Pod", "default")
    rs_name = pods[0]["metadata"]["ownerReferences"][0]["name"]
    assert rs_name.startswith("web-") and pods[0]["metadata"]["name"].startswith(rs_name + "-")
    kube_dyn.resources.get(api_version="apps/v1", kind="Deployment").delete(
        name="web", namespace="default"
    )
    wait_for(lambda: not kube_emu.store.list("v1", "Pod", "default"))
    assert kube_emu.store.get("apps/v1", "ReplicaSet", "default", rs_name) is None


def test_statefulsets_daemonsets_and_jobs_report_ready(kube_emu: Any, kube_dyn: Any) -> None:
    docs = [
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "default"},
            "spec": {
                "replicas": 2,
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {"containers": [{"name": "c", "image": "i"}]},
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "1Gi"}},
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "agent", "namespace": "default"},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {
                    "metadata": {"labels": {"app": "agent"}},
                    "spec": {"containers": [{"name": "c", "image": "i"}]},
                },
            },
        },
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "once", "namespace": "default"},
            "spec": {
                "template": {
                    "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "i"}]}
                }
            },
        },
    ]
    apply_docs(kube_dyn, docs)

    def status(av: str, kind: str, name: str) -> dict[str, Any]:
        return (kube_emu.store.get(av, kind, "default", name) or {}).get("status") or {}

    wait_for(lambda: status("apps/v1", "StatefulSet", "db").get("readyReplicas") == 2)
    sts = status("apps/v1", "StatefulSet", "db")
    assert sts["currentReplicas"] == 2 and sts["currentRevision"] == sts["updateRevision"]
    assert kube_emu.store.get("v1", "Pod", "default", "db-1") is not None
    assert (
        kube_emu.store.get("v1", "PersistentVolumeClaim", "default", "data-db-0")["status"]["phase"]
        == "Bound"
    )
    wait_for(lambda: status("apps/v1", "DaemonSet", "agent").get("numberReady") == 3)
    assert status("apps/v1", "DaemonSet", "agent")["desiredNumberScheduled"] == 3
    wait_for(lambda: status("batch/v1", "Job", "once").get("succeeded") == 1)
    assert {c["type"] for c in status("batch/v1", "Job", "once")["conditions"]} >= {"Complete"}


def test_pvc_protection_keeps_a_used_claim_until_its_pod_is_gone(
    kube_emu: Any, kube_dyn: Any
) -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "default"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    dep = _deployment(
        "user", replicas=1, volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]
    )
    dep["metadata"]["namespace"] = "default"
    apply_docs(kube_dyn, [claim, dep])
    wait_for(
        lambda: any(
            p["status"].get("phase") == "Running"
            for p in kube_emu.store.list("v1", "Pod", "default")
        )
    )
    pvc = kube_emu.store.get("v1", "PersistentVolumeClaim", "default", "data")
    assert pvc["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    volume = pvc["spec"]["volumeName"]
    kube_dyn.resources.get(api_version="v1", kind="PersistentVolumeClaim").delete(
        name="data", namespace="default"
    )
    assert kube_emu.store.get("v1", "PersistentVolumeClaim", "default", "data")["metadata"][
        "deletionTimestamp"
    ]
    kube_dyn.resources.get(api_version="apps/v1", kind="Deployment").delete(
        name="user", namespace="default"
    )
    wait_for(lambda: kube_emu.store.get("v1", "PersistentVolumeClaim", "default", "data") is None)
    wait_for(lambda: kube_emu.store.get("v1", "PersistentVolume", None, volume) is None)


def _webhook(
    name: str,
    kind: str,
    service_ns: str,
    service: str,
    rules: list[dict[str, Any]],
    policy: str = "Fail",
    **selectors: Any,
) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": name},
        "webhooks": [
            {
                "name": f"{name}.example.com",
                "failurePolicy": policy,
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"],
                "clientConfig": {
                    "service": {"namespace": service_ns, "name": service, "path": "/validate"}
                },
                "rules": rules,
                **selectors,
            }
        ],
    }


def test_fail_webhooks_block_writes_until_their_backend_is_available(
    kube_emu: Any, kube_dyn: Any
) -> None:
    from kubernetes.dynamic.exceptions import DynamicApiError

    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "runtimes.serving.example.com"},
        "spec": {
            "group": "serving.example.com",
            "scope": "Cluster",
            "names": {"kind": "Runtime", "plural": "runtimes"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
            ],
        },
    }
    rules = [
        {
            "apiGroups": ["serving.example.com"],
            "apiVersions": ["v1"],
            "resources": ["runtimes"],
            "operations": ["CREATE", "UPDATE"],
        }
    ]
    hook = _webhook(
        "runtime-validator", "ValidatingWebhookConfiguration", "default", "validator", rules
    )
    ignored = _webhook(
        "lenient", "ValidatingWebhookConfiguration", "default", "absent", rules, policy="Ignore"
    )
    apply_docs(kube_dyn, [crd, hook, ignored])
    runtime = {"apiVersion": "serving.example.com/v1", "kind": "Runtime", "metadata": {"name": "r"}}
    with pytest.raises(DynamicApiError) as err:
        apply_docs(kube_dyn, [runtime])
    status = json.loads(err.value.body)
    assert err.value.status == 500 and status["reason"] == "InternalError"
    assert status["message"] == (
        'Internal error occurred: failed calling webhook "runtime-validator.example.com": '
        'failed to call webhook: Post "https://validator.default.svc:443/validate?timeout=10s": '
        'service "validator" not found'
    )
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "validator", "namespace": "default"},
        "spec": {"selector": {"app": "validator"}, "ports": [{"port": 443, "targetPort": 9443}]},
    }
    apply_docs(kube_dyn, [svc])
    with pytest.raises(DynamicApiError) as err:
        apply_docs(kube_dyn, [runtime])
    assert json.loads(err.value.body)["message"].endswith(":443: connect: connection refused")
    dep = _deployment("validator", replicas=1)
    dep["metadata"]["namespace"] = "default"
    apply_docs(kube_dyn, [dep])
    wait_for(lambda: ("default", "validator") in kube_emu.available_at)
    assert apply_docs(kube_dyn, [runtime])[0].metadata.name == "r"
    endpoints = kube_emu.store.get("v1", "Endpoints", "default", "validator")
    assert (
        endpoints["subsets"][0]["ports"][0]["port"] == 9443 and endpoints["subsets"][0]["addresses"]
    )


def test_pod_webhooks_make_replicasets_retry_until_the_injector_is_up(
    kube_emu: Any, kube_dyn: Any
) -> None:
    namespaces = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": labels}}
        for n, labels in (
            ("mesh", {"istio-injection": "disabled"}),
            ("apps", {"istio-injection": "enabled"}),
        )
    ]
    rules = [
        {"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"], "operations": ["CREATE"]}
    ]
    hook = _webhook(
        "injector",
        "MutatingWebhookConfiguration",
        "mesh",
        "istiod",
        rules,
        namespaceSelector={"matchLabels": {"istio-injection": "enabled"}},
    )
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "istiod", "namespace": "mesh"},
        "spec": {"selector": {"app": "istiod"}, "ports": [{"port": 443}]},
    }
    app = _deployment("shop", replicas=1)
    app["metadata"]["namespace"] = "apps"
    apply_docs(kube_dyn, [*namespaces, hook, svc, app])

    def failed_create() -> Any:
        events = kube_emu.store.list("v1", "Event", "apps")
        return [e for e in events if e["reason"] == "FailedCreate"]

    event = wait_for(failed_create)[0]
    assert 'failed calling webhook "injector.example.com"' in event["message"]
    assert event["message"].startswith("Error creating: Internal error occurred:")
    assert ("apps", "shop") not in kube_emu.available_at
    istiod = _deployment("istiod", replicas=1)
    istiod["metadata"]["namespace"] = "mesh"
    apply_docs(kube_dyn, [istiod])
    wait_for(lambda: ("apps", "shop") in kube_emu.available_at)


def test_a_template_change_rolls_out_a_new_replicaset_and_daemonset_pods(
    kube_emu: Any, kube_dyn: Any
) -> None:
    dep = _deployment("app", replicas=2)
    dep["metadata"]["namespace"] = "default"
    apply_docs(kube_dyn, [dep])
    wait_for(lambda: ("default", "app") in kube_emu.available_at)
    first = {r["metadata"]["name"] for r in kube_emu.store.list("apps/v1", "ReplicaSet", "default")}
    dep["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    apply_docs(kube_dyn, [dep])

    def rolled() -> bool:
        obj = kube_emu.store.get("apps/v1", "Deployment", "default", "app")
        status = obj["status"]
        progressing = next(c for c in status["conditions"] if c["type"] == "Progressing")
        return (
            status.get("observedGeneration") == obj["metadata"]["generation"] == 2
            and status.get("updatedReplicas")
            == status.get("availableReplicas")
            == status.get("replicas")
            == 2
            and progressing["reason"] == "NewReplicaSetAvailable"
        )

    wait_for(rolled)
    sets = {
        r["metadata"]["name"]: r for r in kube_emu.store.list("apps/v1", "ReplicaSet", "default")
    }
    (new,) = set(sets) - first
    assert sets[new]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert all(sets[name]["spec"]["replicas"] == 0 for name in first)
    images = {
        p["spec"]["containers"][0]["image"] for p in kube_emu.store.list("v1", "Pod", "default")
    }
    assert images == {"nginx:1.28"}

    ds = kube_emu.store.get("apps/v1", "DaemonSet", "kube-system", "fluentbit-gke")
    ds_doc = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "fluentbit-gke", "namespace": "kube-system"},
        "spec": {**ds["spec"], "template": {**ds["spec"]["template"]}},
    }
    ds_doc["spec"]["template"]["metadata"] = {
        "labels": {"k8s-app": "fluentbit-gke"},
        "annotations": {"restartedAt": "now"},
    }
    apply_docs(kube_dyn, [ds_doc], manager="gke")

    def ds_updated() -> bool:
        status = kube_emu.store.get("apps/v1", "DaemonSet", "kube-system", "fluentbit-gke")[
            "status"
        ]
        return (
            status["updatedNumberScheduled"] == status["numberReady"] == 3
            and status["observedGeneration"] == 2
        )

    wait_for(ds_updated)
