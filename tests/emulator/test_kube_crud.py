"""CRUD semantics through the official Python client: Status errors, server-filled
metadata, the four PATCH types, server-side apply, /status and /scale, selectors."""

from __future__ import annotations

import json
from typing import Any

import pytest

CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "labels": {"app": "a"}}}


def _status(exc: Any) -> dict[str, Any]:
    return json.loads(exc.body)


def test_create_conflict_and_missing_are_status_objects(kube_dyn: Any) -> None:
    from kubernetes.dynamic.exceptions import ConflictError, NotFoundError

    cms = kube_dyn.resources.get(api_version="v1", kind="ConfigMap")
    created = cms.create(body=CM, namespace="default")
    md = created.metadata
    assert md.uid and md.creationTimestamp and int(md.resourceVersion) > 0
    with pytest.raises(ConflictError) as conflict:
        cms.create(body=CM, namespace="default")
    status = _status(conflict.value)
    assert (
        status["kind"] == "Status" and status["reason"] == "AlreadyExists" and status["code"] == 409
    )
    assert status["message"] == 'configmaps "cfg" already exists'
    assert status["details"] == {"name": "cfg", "kind": "configmaps"}
    with pytest.raises(NotFoundError) as missing:
        kube_dyn.resources.get(api_version="apps/v1", kind="Deployment").get(
            name="nope", namespace="default"
        )
    status = _status(missing.value)
    assert status["reason"] == "NotFound"
    assert status["message"] == 'deployments.apps "nope" not found'
    assert status["details"] == {"name": "nope", "group": "apps", "kind": "deployments"}


def test_writes_into_a_missing_namespace_are_404(kube_dyn: Any) -> None:
    from kubernetes.dynamic.exceptions import NotFoundError

    cms = kube_dyn.resources.get(api_version="v1", kind="ConfigMap")
    for call in (
        lambda: cms.create(body=CM, namespace="kubeflow"),
        lambda: cms.server_side_apply(body=CM, namespace="kubeflow", field_manager="t"),
    ):
        with pytest.raises(NotFoundError) as err:
            call()
        assert _status(err.value)["message"] == 'namespaces "kubeflow" not found'


def test_update_with_a_stale_resource_version_conflicts(kube_api: Any) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    v1 = client.CoreV1Api(kube_api)
    first = v1.create_namespaced_config_map(
        "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c"), data={"a": "1"})
    )
    first.data = {"a": "2"}
    second = v1.replace_namespaced_config_map("c", "default", first)
    assert second.data == {"a": "2"}
    assert int(second.metadata.resource_version) > int(first.metadata.resource_version)
    first.data = {"a": "3"}
    with pytest.raises(ApiException) as err:
        v1.replace_namespaced_config_map("c", "default", first)
    assert err.value.status == 409 and json.loads(err.value.body)["reason"] == "Conflict"


def test_patch_types(kube_dyn: Any) -> None:
    from kubernetes.dynamic.exceptions import DynamicApiError

    deploys = kube_dyn.resources.get(api_version="apps/v1", kind="Deployment")
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web", "tier": "x"}},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "a", "image": "nginx:1"},
                        {"name": "b", "image": "busybox:1"},
                    ]
                },
            },
        },
    }
    deploys.create(body=body, namespace="default")
    smp = {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "busybox:2"}]}}}}
    out = deploys.patch(body=smp, name="web", namespace="default")  # strategic by default
    assert [(c.name, c.image) for c in out.spec.template.spec.containers] == [
        ("a", "nginx:1"),
        ("b", "busybox:2"),
    ]
    out = deploys.patch(
        body={"metadata": {"labels": {"tier": None}}},
        name="web",
        namespace="default",
        content_type="application/merge-patch+json",
    )
    assert dict(out.metadata.labels) == {"app": "web"}
    out = deploys.patch(
        body=[{"op": "replace", "path": "/spec/replicas", "value": 3}],
        name="web",
        namespace="default",
        content_type="application/json-patch+json",
    )
    assert out.spec.replicas == 3 and out.metadata.generation == 3
    with pytest.raises(DynamicApiError) as err:
        deploys.patch(
            body=[{"op": "test", "path": "/spec/replicas", "value": 9}],
            name="web",
            namespace="default",
            content_type="application/json-patch+json",
        )
    assert err.value.status == 422


def test_server_side_apply_creates_updates_and_prunes(kube_dyn: Any, kube_emu: Any) -> None:
    from kubernetes.dynamic.exceptions import DynamicApiError

    cms = kube_dyn.resources.get(api_version="v1", kind="ConfigMap")
    doc = {**CM, "data": {"a": "1", "b": "2"}}
    created = cms.server_side_apply(body=doc, namespace="default", field_manager="wizard")
    assert created.data.a == "1"
    entry = created.to_dict()["metadata"]["managedFields"][0]
    assert (entry["manager"], entry["operation"], entry["fieldsType"]) == (
        "wizard",
        "Apply",
        "FieldsV1",
    )
    assert entry["fieldsV1"]["f:data"] == {"f:a": {}, "f:b": {}}
    rv = created.metadata.resourceVersion
    again = cms.server_side_apply(body=doc, namespace="default", field_manager="wizard")
    assert again.metadata.resourceVersion == rv  # a no-op apply does not wake watches
    doc2 = {**CM, "data": {"a": "1"}}
    pruned = cms.server_side_apply(body=doc2, namespace="default", field_manager="wizard")
    assert dict(pruned.data) == {"a": "1"}
    with pytest.raises(DynamicApiError) as err:
        kube_dyn.request(
            "patch",
            "/api/v1/namespaces/default/configmaps/cfg",
            body=doc,
            content_type="application/apply-patch+yaml",
        )
    assert err.value.status == 422 and "fieldManager" in _status(err.value)["message"]
    stored = kube_emu.store.get("v1", "ConfigMap", "default", "cfg")
    assert stored["data"] == {"a": "1"}


def _request(emu: Any, method: str, path: str, body: bytes, content_type: str) -> Any:
    import ssl
    import urllib.request

    context = ssl.create_default_context(cadata=emu.ca_pem)
    req = urllib.request.Request(
        emu.url + path, data=body, method=method, headers={"Content-Type": content_type}
    )
    with urllib.request.urlopen(req, context=context, timeout=5) as response:
        return response.status, json.loads(response.read())


def test_apply_patch_accepts_a_yaml_body(kube_emu: Any) -> None:
    text = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  k: v\n"
    code, obj = _request(
        kube_emu,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/y?fieldManager=t",
        text,
        "application/apply-patch+yaml",
    )
    assert code == 201 and obj["data"] == {"k": "v"}
    code, obj = _request(
        kube_emu,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/y?fieldManager=t",
        text.replace(b"k: v", b"k: w"),
        "application/apply-patch+yaml",
    )
    assert code == 200 and kube_emu.store.get("v1", "ConfigMap", "default", "y")["data"] == {
        "k": "w"
    }


def test_status_subresource_is_separate_from_the_main_resource(
    kube_dyn: Any, kube_emu: Any
) -> None:
    deploys = kube_dyn.resources.get(api_version="apps/v1", kind="Deployment")
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "s"},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"a": "s"}},
            "template": {
                "metadata": {"labels": {"a": "s"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
        "status": {"replicas": 42},
    }
    created = deploys.create(body=body, namespace="default")
    assert created.status.replicas is None  # status is reset on create
    status = deploys.subresources["status"]
    out = status.patch(
        body={"status": {"observedGeneration": 99}, "spec": {"replicas": 5}},
        name="s",
        namespace="default",
        content_type="application/merge-patch+json",
    )
    assert out.status.observedGeneration == 99 and out.spec.replicas == 0
    out = deploys.patch(
        body={
            "status": {"observedGeneration": 1},
            "spec": {"replicas": 0},
            "metadata": {"labels": {"x": "y"}},
        },
        name="s",
        namespace="default",
        content_type="application/merge-patch+json",
    )
    assert out.status.observedGeneration in (99, 1) and out.metadata.labels.x == "y"
    assert out.metadata.generation == 1  # labels are not spec
    scale = deploys.subresources["scale"].get(name="s", namespace="default")
    assert scale.kind == "Scale" and scale.spec.replicas == 0 and scale.status.selector == "a=s"
    deploys.subresources["scale"].patch(
        body={"spec": {"replicas": 2}},
        name="s",
        namespace="default",
        content_type="application/merge-patch+json",
    )
    assert kube_emu.store.get("apps/v1", "Deployment", "default", "s")["spec"]["replicas"] == 2


def test_selectors_filter_lists(kube_dyn: Any) -> None:
    cms = kube_dyn.resources.get(api_version="v1", kind="ConfigMap")
    for name, labels in (
        ("one", {"app": "a", "tier": "web"}),
        ("two", {"app": "b"}),
        ("three", {"app": "c", "tier": "db"}),
    ):
        cms.create(body={"metadata": {"name": name, "labels": labels}}, namespace="default")

    def names(**kw: Any) -> set[str]:
        return {i.metadata.name for i in cms.get(namespace="default", **kw).items} - {
            "kube-root-ca.crt"
        }

    assert names(label_selector="app=a") == {"one"}
    assert names(label_selector="app!=a") == {"two", "three"}
    assert names(label_selector="app in (a,b)") == {"one", "two"}
    assert names(label_selector="app notin (a,b)") == {"three"}
    assert names(label_selector="tier") == {"one", "three"}
    assert names(label_selector="!tier") == {"two"}
    assert names(label_selector="app in (a,c),tier=db") == {"three"}
    assert names(field_selector="metadata.name=two") == {"two"}
    assert names(field_selector="metadata.name!=two") == {"one", "three"}
    assert names(field_selector="metadata.namespace=default", label_selector="app=b") == {"two"}


def test_field_selectors_on_pod_phase_and_event_object(kube_api: Any) -> None:
    from kubernetes import client

    v1 = client.CoreV1Api(kube_api)
    running = v1.list_namespaced_pod("kube-system", field_selector="status.phase=Running").items
    assert running and all(p.status.phase == "Running" for p in running)
    assert v1.list_namespaced_pod("kube-system", field_selector="status.phase=Pending").items == []
    pod = running[0].metadata.name
    events = v1.list_namespaced_event(
        "kube-system", field_selector=f"involvedObject.name={pod}"
    ).items
    assert events and {e.involved_object.name for e in events} == {pod}
    assert "Scheduled" in {e.reason for e in events}


def test_list_pagination_and_delete_collection(kube_dyn: Any) -> None:
    cms = kube_dyn.resources.get(api_version="v1", kind="ConfigMap")
    for index in range(5):
        cms.create(
            body={"metadata": {"name": f"p{index}", "labels": {"batch": "x"}}}, namespace="default"
        )
    page = cms.get(namespace="default", label_selector="batch=x", limit=2)
    assert (
        len(page.items) == 2 and page.metadata["continue"] and page.metadata.remainingItemCount == 3
    )
    seen = [i.metadata.name for i in page.items]
    while page.metadata["continue"]:
        page = cms.get(
            namespace="default",
            label_selector="batch=x",
            limit=2,
            _continue=page.metadata["continue"],
        )
        seen += [i.metadata.name for i in page.items]
    assert seen == [f"p{i}" for i in range(5)]
    deleted = cms.delete(namespace="default", label_selector="batch=x")
    assert len(deleted.items) == 5
    assert cms.get(namespace="default", label_selector="batch=x").items == []


def test_generate_name_dry_run_and_delete_with_a_body(kube_dyn: Any, kube_emu: Any) -> None:
    cms = kube_dyn.resources.get(api_version="v1", kind="ConfigMap")
    made = cms.create(body={"metadata": {"generateName": "gen-"}}, namespace="default")
    assert made.metadata.name.startswith("gen-") and len(made.metadata.name) == 9
    dry = cms.create(body={"metadata": {"name": "dry"}}, namespace="default", dry_run="All")
    assert (
        dry.metadata.name == "dry"
        and kube_emu.store.get("v1", "ConfigMap", "default", "dry") is None
    )
    answer = cms.delete(
        name=made.metadata.name, namespace="default", body={"propagationPolicy": "Background"}
    )
    assert answer.status == "Success"
    assert kube_emu.store.get("v1", "ConfigMap", "default", made.metadata.name) is None


def test_secrets_fold_string_data_and_services_get_a_cluster_ip(kube_api: Any) -> None:
    from kubernetes import client

    v1 = client.CoreV1Api(kube_api)
    secret = v1.create_namespaced_secret(
        "default", client.V1Secret(metadata=client.V1ObjectMeta(name="s"), string_data={"k": "v"})
    )
    assert secret.data == {"k": "dg=="} and secret.string_data is None and secret.type == "Opaque"
    svc = v1.create_namespaced_service(
        "default",
        client.V1Service(
            metadata=client.V1ObjectMeta(name="svc"),
            spec=client.V1ServiceSpec(selector={"a": "b"}, ports=[client.V1ServicePort(port=80)]),
        ),
    )
    assert svc.spec.cluster_ip.startswith("34.118.") and svc.spec.type == "ClusterIP"
    assert svc.spec.ports[0].target_port == 80 and svc.spec.ports[0].protocol == "TCP"


def test_unknown_paths_and_openapi_are_404(kube_emu: Any) -> None:
    import urllib.error
    import urllib.request

    from tests.emulator.test_kube_discovery import _raw

    for path in ("/openapi/v2", "/openapi/v3", "/apis/example.com/v1/widgets", "/api/v1/widgets"):
        with pytest.raises(urllib.error.HTTPError) as err:
            _raw(kube_emu, path)
        assert err.value.code == 404
        assert json.loads(err.value.read())["reason"] == "NotFound"


def test_validation_rejects_bad_names_and_oversized_annotations(kube_dyn: Any) -> None:
    from kubernetes.dynamic.exceptions import DynamicApiError

    cms = kube_dyn.resources.get(api_version="v1", kind="ConfigMap")
    with pytest.raises(DynamicApiError) as err:
        cms.create(body={"metadata": {"name": "Bad_Name"}}, namespace="default")
    status = _status(err.value)
    assert err.value.status == 422 and status["reason"] == "Invalid"
    assert status["message"].startswith(
        'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"'
    )
    big = {"kubectl.kubernetes.io/last-applied-configuration": "x" * 300_000}
    with pytest.raises(DynamicApiError) as err:
        cms.create(body={"metadata": {"name": "big", "annotations": big}}, namespace="default")
    assert _status(err.value)["message"].endswith(
        "metadata.annotations: Too long: must have at most 262144 bytes"
    )
    crds = kube_dyn.resources.get(
        api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition"
    )
    with pytest.raises(DynamicApiError) as err:
        crds.create(
            body={
                "metadata": {"name": "wrong.example.com"},
                "spec": {
                    "group": "example.com",
                    "names": {"kind": "Thing", "plural": "things"},
                    "scope": "Namespaced",
                    "versions": [{"name": "v1", "served": True, "storage": True}],
                },
            }
        )
    assert 'must be spec.names.plural+"."+spec.group' in _status(err.value)["message"]


def test_legacy_watch_path_with_a_name(kube_emu: Any) -> None:
    import ssl
    import urllib.request

    context = ssl.create_default_context(cadata=kube_emu.ca_pem)
    url = (
        kube_emu.url
        + "/api/v1/watch/namespaces/kube-system/configmaps/kube-root-ca.crt?timeoutSeconds=1"
    )
    with urllib.request.urlopen(url, context=context, timeout=5) as response:
        lines = [json.loads(line) for line in response.read().splitlines() if line.strip()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in lines] == [
        ("ADDED", "kube-root-ca.crt")
    ]
