"""Watch semantics as clients rely on them: synthetic ADDED for a fresh watch, replay
after a resourceVersion, timeoutSeconds, selectors (objects entering/leaving a
selector), and a CRD's Established condition seen through a watch."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest


def _cm(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}}


def test_fresh_watch_gets_synthetic_added_then_changes(kube_dyn: Any) -> None:
    cms = kube_dyn.resources.get(api_version="v1", kind="ConfigMap")
    cms.create(body=_cm("before"), namespace="default")

    def later() -> None:
        time.sleep(0.2)
        cms.create(body=_cm("after"), namespace="default")
        cms.patch(
            body={"data": {"x": "1"}},
            name="after",
            namespace="default",
            content_type="application/merge-patch+json",
        )
        cms.delete(name="after", namespace="default")

    threading.Thread(target=later, daemon=True).start()
    seen = []
    for event in kube_dyn.watch(cms, namespace="default", timeout=3):
        seen.append((event["type"], event["object"].metadata.name))
        if event["type"] == "DELETED":
            break
    assert ("ADDED", "before") in seen
    assert seen[-3:] == [("ADDED", "after"), ("MODIFIED", "after"), ("DELETED", "after")]


def test_watch_from_a_resource_version_replays_later_events(kube_dyn: Any) -> None:
    cms = kube_dyn.resources.get(api_version="v1", kind="ConfigMap")
    first = cms.create(body=_cm("a"), namespace="default")
    cms.create(body=_cm("b"), namespace="default")
    cms.delete(name="a", namespace="default")
    events = []
    for event in kube_dyn.watch(
        cms, namespace="default", resource_version=first.metadata.resourceVersion, timeout=1
    ):
        events.append((event["type"], event["object"].metadata.name))
    assert events == [("ADDED", "b"), ("DELETED", "a")]


def test_timeout_seconds_ends_the_stream(kube_api: Any) -> None:
    from kubernetes import client, watch

    v1 = client.CoreV1Api(kube_api)
    started = time.monotonic()
    names = [
        e["object"].metadata.name
        for e in watch.Watch().stream(v1.list_namespace, timeout_seconds=1)
    ]
    elapsed = time.monotonic() - started
    assert {"default", "kube-system"} <= set(names)
    assert 0.9 <= elapsed < 6


def test_selector_watches_see_objects_enter_and_leave(kube_dyn: Any) -> None:
    cms = kube_dyn.resources.get(api_version="v1", kind="ConfigMap")
    start = cms.create(body=_cm("x", tier="db"), namespace="default")
    rv = start.metadata.resourceVersion
    cms.patch(
        body={"metadata": {"labels": {"tier": "web"}}},
        name="x",
        namespace="default",
        content_type="application/merge-patch+json",
    )
    cms.patch(
        body={"metadata": {"labels": {"tier": "db"}}},
        name="x",
        namespace="default",
        content_type="application/merge-patch+json",
    )
    cms.create(body=_cm("y", tier="web"), namespace="default")
    events = [
        (e["type"], e["object"].metadata.name)
        for e in kube_dyn.watch(
            cms, namespace="default", label_selector="tier=web", resource_version=rv, timeout=1
        )
    ]
    assert events == [("ADDED", "x"), ("DELETED", "x"), ("ADDED", "y")]
    by_name = [
        e["type"]
        for e in kube_dyn.watch(
            cms,
            namespace="default",
            field_selector="metadata.name=y",
            resource_version=rv,
            timeout=1,
        )
    ]
    assert by_name == ["ADDED"]


def test_too_old_resource_version_is_410_gone(kube_emu: Any) -> None:
    from kfwizard.emulator.kube.errors import ApiError

    store = kube_emu.store
    store._truncated_before = store.resource_version  # as if the log had been compacted
    with pytest.raises(ApiError) as err:
        store.watch(("", "configmaps"), None, lambda obj: True, since=1)
    assert err.value.code == 410 and err.value.reason == "Expired"


def test_crd_becomes_established_and_its_kind_is_served(kube_dyn: Any) -> None:
    crds = kube_dyn.resources.get(
        api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition"
    )
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "shortNames": ["wd"]},
            "versions": [
                {
                    "name": "v1beta1",
                    "served": True,
                    "storage": False,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                },
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                },
            ],
        },
    }
    crds.server_side_apply(body=crd, field_manager="t")
    established = False
    for event in kube_dyn.watch(
        crds, field_selector="metadata.name=widgets.example.com", timeout=5
    ):
        conditions = {c.type: c.status for c in event["object"].status.conditions or []}
        if conditions.get("Established") == "True":
            assert conditions["NamesAccepted"] == "True"
            assert event["object"].status.acceptedNames.kind == "Widget"
            established = True
            break
    assert established
    widgets = kube_dyn.resources.get(api_version="example.com/v1", kind="Widget")
    assert widgets.namespaced and "status" in widgets.subresources and widgets.short_names == ["wd"]
    made = widgets.create(
        body={
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "spec": {"size": 1},
        },
        namespace="default",
    )
    assert made.metadata.generation == 1
    old = kube_dyn.resources.get(api_version="example.com/v1beta1", kind="Widget").get(
        name="w", namespace="default"
    )
    assert old.apiVersion == "example.com/v1beta1" and old.spec.size == 1
    group = kube_dyn.request("get", "/apis/example.com")
    assert group.preferredVersion.version == "v1"
