"""Tiers: every object exactly once, CRDs before their resources, and the full platform in
the order of kubeflow-manifests.md §11."""

from __future__ import annotations

from collections import Counter

import pytest

from kfwizard.manifests.kinds import CLUSTER_SCOPED
from kfwizard.manifests.objects import Manifest, crd_scopes
from kfwizard.manifests.tiers import Tier, build_tiers

from .conftest import kfp_set

KFP_2_17_CRDS = {
    "applications.app.k8s.io",
    "clusterworkflowtemplates.argoproj.io",
    "cronworkflows.argoproj.io",
    "scheduledworkflows.kubeflow.org",
    "viewers.kubeflow.org",
    "workflowartifactgctasks.argoproj.io",
    "workfloweventbindings.argoproj.io",
    "workflows.argoproj.io",
    "workflowtaskresults.argoproj.io",
    "workflowtasksets.argoproj.io",
    "workflowtemplates.argoproj.io",
}


def flatten(tiers: list[Tier]) -> list[Manifest]:
    return [m for t in tiers for m in t.objects]


def assert_each_once(tiers: list[Tier], objects: list[Manifest]) -> None:
    placed = [id(m) for m in flatten(tiers)]
    assert len(placed) == len(set(placed)) == len(objects)
    assert set(placed) == {id(m) for m in objects}


def assert_crds_before_resources(tiers: list[Tier]) -> None:
    order = flatten(tiers)
    crd_tier = {}
    for number, tier in enumerate(tiers):
        for m in tier.objects:
            if m.is_crd:
                group, kind, _ = m.crd_names()
                crd_tier[(group, kind)] = number
                assert m.name in tier.wait_crds
    for number, tier in enumerate(tiers):
        for m in tier.objects:
            if (m.group, m.kind) in crd_tier:
                assert crd_tier[(m.group, m.kind)] < number, f"{m!r} is not after its CRD's tier"
    assert order  # sanity


@pytest.mark.parametrize(
    ("version", "env"),
    [
        ("2.17.0", "platform-agnostic"),
        ("2.17.0", "dev"),
        ("1.8.5", "dev"),
        ("1.8.5", "platform-agnostic"),
        ("1.6.0", "gcp"),
    ],
)
def test_kfp_tiers(version: str, env: str) -> None:
    objects = kfp_set(version, env)
    tiers = build_tiers("kfp-standalone", objects)
    assert_each_once(tiers, objects)
    assert_crds_before_resources(tiers)
    first = tiers[0]
    assert first.name == "namespaces-and-crds"
    assert (first.objects[0].kind, first.objects[0].name) == ("Namespace", "kubeflow")
    assert set(first.wait_crds) == {m.name for m in objects if m.is_crd}
    names = [t.name for t in tiers]
    if version != "1.6.0":
        [cluster] = [t for t in tiers if t.name == "cluster-scoped"]
        assert ("PriorityClass", "workflow-controller") in {
            (m.kind, m.name) for m in cluster.objects
        }
    if env in ("dev", "gcp"):
        assert names[-1] == "custom-resources"
        assert [(m.kind, m.name) for m in tiers[-1].objects] == [("Application", "pipeline")]
    else:
        assert "custom-resources" not in names
    scopes = crd_scopes(objects)
    [namespaced] = [t for t in tiers if t.name == "namespaced"]
    assert all(m.is_namespaced(CLUSTER_SCOPED, scopes) for m in namespaced.objects)
    assert all(not t.wait_ready for t in tiers)  # the rollout step waits for KFP's Deployments


def test_kfp_2_17_crd_wait_list() -> None:
    tiers = build_tiers("kfp-standalone", kfp_set("2.17.0", "platform-agnostic"))
    assert set(tiers[0].wait_crds) == KFP_2_17_CRDS
    # the cluster-scoped part's namespaced ConfigMap and SA wait until the namespace exists
    namespaced = {(m.kind, m.name) for m in tiers[-1].objects}
    assert {
        ("ConfigMap", "kfp-cluster-scoped-params"),
        ("ServiceAccount", "kubeflow-pipelines-cache-deployer-sa"),
    } <= namespaced


def test_k8s_native_variant_webhooks_last_and_cert_manager_resources_as_custom() -> None:
    objects = kfp_set("2.17.0", "cert-manager-platform-agnostic-k8s-native")
    tiers = build_tiers("kfp-standalone", objects)
    assert_each_once(tiers, objects)
    [namespaced] = [t for t in tiers if t.name == "namespaced"]
    kinds = [m.kind for m in namespaced.objects]
    assert kinds[-2:] == ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]
    assert {w.service_name for w in namespaced.webhooks} == {"ml-pipeline"}
    assert {w.port for w in namespaced.webhooks} == {8443}
    assert {(m.kind, m.group) for m in tiers[-1].objects} == {
        ("Certificate", "cert-manager.io"),
        ("Issuer", "cert-manager.io"),
    }


# -- full platform --------------------------------------------------------------------

KUBEFLOW_ORDER = [
    "foundations",
    "cert-manager",
    "istio",
    "auth",
    "knative",
    "knative-resources",
    "kubeflow-core",
    "applications",
    "runtimes",
    "profile",
]


@pytest.fixture(scope="module")
def platform(kubeflow_objects: list[Manifest]) -> list[Tier]:
    return build_tiers("kubeflow", kubeflow_objects)


def tier_index(tiers: list[Tier]) -> dict[int, int]:
    return {id(m): n for n, t in enumerate(tiers) for m in t.objects}


def by_name(tiers: list[Tier], name: str) -> Tier:
    return next(t for t in tiers if t.name == name)


def test_platform_every_object_once(platform: list[Tier], kubeflow_objects: list[Manifest]) -> None:
    assert [t.name for t in platform] == KUBEFLOW_ORDER
    assert_each_once(platform, kubeflow_objects)
    assert sum(len(t.objects) for t in platform) == 675
    assert_crds_before_resources(platform)


def test_platform_foundations(platform: list[Tier]) -> None:
    first = by_name(platform, "foundations")
    counts = first.counts_by_kind()
    assert counts["CustomResourceDefinition"] == len(first.wait_crds) == 74
    assert counts["Namespace"] == 7 and counts["PriorityClass"] == 1
    assert not first.webhooks and "MutatingWebhookConfiguration" not in counts
    assert first.objects[0].kind == "Namespace"


def test_platform_cert_manager_before_its_issuers(platform: list[Tier]) -> None:
    tier = by_name(platform, "cert-manager")
    assert {(w.namespace, w.name) for w in tier.wait_ready} == {
        ("cert-manager", "cert-manager"),
        ("cert-manager", "cert-manager-cainjector"),
        ("cert-manager", "cert-manager-webhook"),
    }
    assert {w.name for w in tier.webhooks} == {"cert-manager-webhook"}
    position = platform.index(tier)
    issued = [m for t in platform for m in t.objects if m.group == "cert-manager.io"]
    assert len(issued) == 12  # 6 Certificates, 5 Issuers, 1 ClusterIssuer
    index = tier_index(platform)
    assert all(index[id(m)] > position for m in issued)
    kube_system = [m for m in tier.objects if m.namespace == "kube-system"]
    assert len(kube_system) == 4  # the leader-election Roles and RoleBindings


def test_platform_istio_tier(platform: list[Tier]) -> None:
    tier = by_name(platform, "istio")
    waits = {(w.kind, w.namespace, w.name) for w in tier.wait_ready}
    assert ("DaemonSet", "kube-system", "istio-cni-node") in waits
    assert {
        ("Deployment", "istio-system", n)
        for n in ("istiod", "istio-ingressgateway", "cluster-local-gateway")
    } <= waits
    assert {w.name for w in tier.webhooks} == {
        "istio-sidecar-injector",
        "istio-validator-istio-system",
    }
    assert any("/home/kubernetes/bin" in note for note in tier.notes)
    assert ("ClusterIssuer", "kubeflow-self-signing-issuer") in {
        (m.kind, m.name) for m in tier.objects
    }
    assert ("Gateway", "kubeflow-gateway") in {(m.kind, m.name) for m in tier.objects}


def test_platform_injected_pods_wait_for_istiod(platform: list[Tier]) -> None:
    istio = KUBEFLOW_ORDER.index("istio")
    for number, tier in enumerate(platform):
        for ref in tier.wait_ready:
            if ref.namespace in ("kubeflow", "kubeflow-system", "knative-serving"):
                assert number > istio, ref


def test_platform_every_workload_waited_for_once(platform: list[Tier]) -> None:
    refs = [(w.kind, w.namespace, w.name) for t in platform for w in t.wait_ready]
    assert len(refs) == len(set(refs)) == 51
    assert Counter(kind for kind, _, _ in refs) == {
        "Deployment": 49,
        "StatefulSet": 1,
        "DaemonSet": 1,
    }


def test_platform_webhook_services_not_later_than_their_configurations(
    platform: list[Tier],
) -> None:
    services = {
        (m.namespace, m.name): n
        for n, t in enumerate(platform)
        for m in t.objects
        if m.kind == "Service" and m.group == ""
    }
    refs = [(n, w) for n, t in enumerate(platform) for w in t.webhooks]
    assert len({(w.kind, w.name) for _, w in refs}) == 28
    for number, ref in refs:
        assert services[(ref.service_namespace, ref.service_name)] <= number, ref


def test_platform_runtimes_after_their_validators(platform: list[Tier]) -> None:
    runtimes = by_name(platform, "runtimes")
    assert runtimes.counts_by_kind() == {"ClusterServingRuntime": 11, "ClusterTrainingRuntime": 6}
    earlier = {w.name for t in platform[: platform.index(runtimes)] for w in t.wait_ready}
    assert {"kserve-controller-manager", "kubeflow-trainer-controller-manager"} <= earlier


def test_platform_knative_and_core(platform: list[Tier]) -> None:
    late = by_name(platform, "knative-resources")
    assert {(m.kind, m.name) for m in late.objects} == {
        ("Image", "queue-proxy"),
        ("Certificate", "routing-serving-certs"),
    }
    knative = by_name(platform, "knative")
    assert len(knative.wait_ready) == 6 and len(knative.webhooks) == 5
    core = by_name(platform, "kubeflow-core")
    assert {w.name for w in core.wait_ready} == {
        "admission-webhook-deployment",
        "centraldashboard",
        "profiles-deployment",
    }
    assert {w.service_name for w in core.webhooks} == {"admission-webhook-service"}
    auth = by_name(platform, "auth")
    assert {w.name for w in auth.wait_ready} == {"dex", "oauth2-proxy"}


def test_platform_profile_last(platform: list[Tier]) -> None:
    assert [(m.kind, m.name) for m in platform[-1].objects] == [
        ("Profile", "kubeflow-user-example-com")
    ]
    summary = platform[-1].summary()
    assert summary["name"] == "profile" and summary["objects"] == 1


def test_webhook_configurations_last_in_their_tier(platform: list[Tier]) -> None:
    for tier in platform:
        kinds = [m.kind for m in tier.objects]
        hooks = [i for i, k in enumerate(kinds) if k.endswith("WebhookConfiguration")]
        if hooks:
            assert hooks == list(range(len(kinds) - len(hooks), len(kinds))), tier.name
