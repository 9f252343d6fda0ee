"""Applying against a flaky API: watched CRD waits, retries, a path that stays down."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kfwizard.engine.events import StepOutput
from kfwizard.engine.steps.install import ApplyStep, RolloutStep
from kfwizard.kube.apply import ApplyOptions, apply_objects, apply_tiers
from kfwizard.kube.control import Quiet
from kfwizard.session import SessionStore
from tests.kube.conftest import (
    clients_for,
    emulator,
    load_set,
    new_session,
    run,
    write_kubeconfig,
)


def test_crd_wait_uses_one_list_and_one_watch(
    faults: Any, tmp_path: Path, fixtures_root: Path
) -> None:
    """At a non-zero speed CRDs take a moment to become Established: the applier
    lists them once and watches once, per tier with CRDs, instead of polling."""
    server = emulator(faults, speed=1.0)
    server.start()
    try:
        clients = clients_for(write_kubeconfig(server, tmp_path))
        mset = load_set("2.17.0")
        control = Quiet()
        report = apply_tiers(clients, mset.tiers, control=control)
        assert report.applied == 88
        crd_tiers = sum(1 for t in mset.tiers if t.wait_crds)
        stats = server.stats
        assert 1 <= stats[("list", "customresourcedefinitions")] <= crd_tiers
        assert 1 <= stats[("watch", "customresourcedefinitions")] <= crd_tiers
        assert not any(
            verb == "get" and res == "customresourcedefinitions" for verb, res in stats
        )  # no polling of single CRDs
        assert "Waiting for 11 CRDs to be Established…" in control.lines
        clients.close()
    finally:
        server.stop()


def test_rollout_wait_is_one_list_and_one_watch_per_kind(
    emu: Any, kubeconfig: Path, store: SessionStore
) -> None:
    session = new_session(store, kubeconfig, "2.17.0")
    result, _ = run(session, store, [ApplyStep()])
    assert result.state == "done"
    emu.stats.reset()
    result, _ = run(session, store, [RolloutStep()])
    assert result.state == "done", result.cause
    for kind in ("deployments", "pods"):
        assert emu.stats[("list", kind)] <= 1
        assert emu.stats[("watch", kind)] <= 1
    assert session.outputs["rollout"]["requests"]["lists"] <= 2


def test_transient_errors_and_dropped_connections_do_not_fail_the_install(
    emu: Any, kubeconfig: Path, store: SessionStore, faults: Any
) -> None:
    faults.update(error_rate=0.1, error_codes=(500, 503, 429), retry_after=0.05, drop_rate=0.03)
    session = new_session(store, kubeconfig, "2.17.0")
    result, events = run(session, store, [ApplyStep(), RolloutStep()])
    assert result.state == "done", (result.cause, result.action)
    assert session.outputs["apply"]["applied"] == 88
    lines = [line for e in events if isinstance(e, StepOutput) for line in e.lines]
    retried = [line for line in lines if "; retrying in" in line]
    assert retried, "the faults should have caused at least one retry"
    assert any("HTTP 429" in line or "HTTP 5" in line for line in retried)


def test_an_endpoint_that_stays_down_is_named_then_resume_succeeds(
    emu: Any, kubeconfig: Path, store: SessionStore, faults: Any
) -> None:
    faults.update(fail_paths=("/namespaces/kubeflow/deployments/ml-pipeline",), retry_after=0.05)
    session = new_session(store, kubeconfig, "2.17.0")
    started = time.monotonic()
    result, _ = run(session, store, [ApplyStep()])
    assert time.monotonic() - started < 30
    assert result.state == "failed" and result.failed_step == "apply"
    assert "Deployment kubeflow/ml-pipeline" in result.cause
    assert "HTTP 503" in result.cause
    assert "kubectl get --raw /readyz" in (result.action or "")
    # what was applied before the failure is already in the saved inventory
    saved = store.load(session.id)
    assert len(saved.inventory["objects"]) > 10
    faults.clear()
    again, _ = run(saved, store, [ApplyStep(), RolloutStep()])
    assert again.state == "done", again.cause
    assert saved.outputs["apply"]["applied"] == 88


def test_apply_objects_benchmark_hook(emu: Any, clients: Any) -> None:
    """``apply_objects`` works outside the engine, with default Quiet control."""
    mset = load_set("2.17.0")
    objects = [m for tier in mset.tiers for m in tier.objects]
    emu.stats.reset()
    started = time.monotonic()
    copies = apply_objects(clients, objects, options=ApplyOptions(workers=8))
    seconds = time.monotonic() - started
    assert len(copies) == len(objects) == 88
    requests = sum(emu.stats.values())
    assert requests <= 1.5 * len(objects), dict(emu.stats)
    assert seconds < 20


def _crd_and_instance() -> list[dict]:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }
    gadget = {
        "apiVersion": "example.com/v1",
        "kind": "Gadget",
        "metadata": {"name": "one", "namespace": "default"},
        "spec": {"size": 1},
    }
    return [crd, gadget]


def test_a_kind_not_served_yet_is_waited_for_with_discovery_refreshes(
    faults: Any, tmp_path: Path, fixtures_root: Path
) -> None:
    """P1 without the CRD wait: "no matches for kind" is retried (refreshing discovery)
    until the CRD is served, then the instance is applied."""
    from kfwizard.kube.apply import TierSpec

    server = emulator(faults, speed=1.0)
    server.start()
    try:
        clients = clients_for(write_kubeconfig(server, tmp_path))
        control = Quiet()
        crd, gadget = _crd_and_instance()
        apply_tiers(
            clients,
            [TierSpec("crd", [crd], wait_crds=[]), TierSpec("cr", [gadget], wait_crds=[])],
            control=control,
        )
        assert any(
            "Gadget (example.com/v1) is not registered yet" in line for line in control.lines
        )
        assert server.store.items(("example.com", "gadgets"), "default")
        clients.close()
    finally:
        server.stop()


def test_a_kind_that_never_appears_is_named(emu: Any, clients: Any) -> None:
    from kfwizard.kube.errors import KubeFailure

    _, gadget = _crd_and_instance()
    try:
        apply_objects(clients, [gadget], options=ApplyOptions(kind_timeout=0.5))
    except KubeFailure as exc:
        assert "does not serve Gadget (example.com/v1)" in exc.cause
        assert "kubectl api-resources" in (exc.action or "")
    else:
        raise AssertionError("expected a KubeFailure")


def test_removed_crd_api_of_kfp_1_6_is_explained_at_once(emu: Any, clients: Any) -> None:
    from kfwizard.kube.errors import KubeFailure

    crds = [m for m in load_set("1.6.0").tiers[0].objects if m.kind == "CustomResourceDefinition"]
    started = time.monotonic()
    try:
        apply_objects(clients, crds[:1])
    except KubeFailure as exc:
        assert "apiextensions.k8s.io/v1beta1 was removed in Kubernetes 1.22" in exc.cause
    else:
        raise AssertionError("expected a KubeFailure")
    assert time.monotonic() - started < 10


def _widget_crd(plural: str, kind: str) -> dict:
    crd, _ = _crd_and_instance()
    crd = {**crd, "metadata": {"name": f"{plural}.example.com"}}
    crd["spec"] = {**crd["spec"], "names": {"plural": plural, "kind": kind}}
    return crd


def test_a_new_crd_in_a_known_group_is_found_and_only_its_group_is_refetched(
    emu: Any, clients: Any
) -> None:
    """A later tier adds a kind to a group discovery already knows: the refresh after its
    CRD wait must fetch that group again, and only that group (plus the group list)."""
    import os

    crd, gadget = _crd_and_instance()
    apply_tiers(clients, [("first", [crd, gadget]), ("apps", [_deployment()])])
    emu.stats.reset()
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    widget["metadata"]["namespace"] = "default"
    again = {**_deployment(), "metadata": {"name": "web-2", "namespace": "default"}}
    apply_tiers(clients, [("second", [_widget_crd("widgets", "Widget"), widget, again])])
    assert emu.store.items(("example.com", "widgets"), "default")
    # The group list and example.com/v1; not /version, /api/v1 or apps/v1 again.
    assert emu.stats[("get", "discovery")] == 2, dict(emu.stats)
    assert emu.stats[("get", "version")] == 0, dict(emu.stats)
    assert not os.path.exists(clients.cache_file)  # discovery stays in memory


def _deployment() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }


def test_the_manifest_objects_are_not_changed_and_dates_are_sent_as_text(
    emu: Any, clients: Any
) -> None:
    """Only a shallow copy is made of each object, so the applier must never write into
    the caller's dicts; YAML timestamps (dates) go out as ISO 8601 text."""
    import datetime

    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "dated", "labels": {"a": "b"}},
        "data": {"since": datetime.date(2024, 5, 1)},
    }
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "x", "namespace": "y"},
    }
    before = repr([config, namespace])
    copies = apply_objects(clients, [namespace, config])
    assert repr([config, namespace]) == before
    server = {c["metadata"]["name"]: c for c in copies}
    assert server["dated"]["data"] == {"since": "2024-05-01"}
    assert server["dated"]["metadata"]["namespace"] == "default"
    assert "namespace" not in server["x"]["metadata"]


def test_a_refused_object_carries_the_servers_message(emu: Any, clients: Any) -> None:
    """The body is sent as a JSON string; the server's 422 still comes back parsed."""
    from kfwizard.kube.errors import KubeFailure

    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}}
    try:
        apply_objects(clients, [bad])
    except KubeFailure as exc:
        assert "(HTTP 422)" in exc.cause and "lowercase RFC 1123" in exc.cause
    else:
        raise AssertionError("expected a KubeFailure")


def test_only_the_crds_not_yet_established_are_waited_for(emu: Any, clients: Any) -> None:
    """Copies from the apply that already say Established are taken at their word: the
    wait covers the others only (here one, listed by name)."""
    from kfwizard.kube.apply import Applier

    crd, _ = _crd_and_instance()
    apply_objects(clients, [crd])
    said = {"status": {"conditions": [{"type": "Established", "status": "True"}]}}
    applier = Applier(clients, options=ApplyOptions(crd_timeout=2))
    emu.stats.reset()
    requests = applier.wait_established(
        ["gadgets.example.com", "ghosts.example.com"], known={"ghosts.example.com": said}
    )
    assert requests == 1 and emu.stats[("list", "customresourcedefinitions")] == 1
    assert applier.wait_established(["ghosts.example.com"], known={"ghosts.example.com": said}) == 0
