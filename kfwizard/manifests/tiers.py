"""Order objects into tiers the applier can apply one after the other.

Applying a whole render in one pass fails on the first try ("no matches for kind …
ensure CRDs are installed first", P1; "failed calling webhook", P2) and upstream's answer
is "re-run until it works". Tiers make the dependencies explicit instead: each tier says
which CRDs must be Established, which workloads must be ready and which webhooks must
answer before the next tier is applied.

KFP standalone needs four kind-based tiers. The full platform follows the install plan
of kubeflow-manifests.md §11 (foundations, cert-manager, Istio, auth, Knative, core,
applications, the user Profile last), assigned by namespace, labels and kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kfwizard.manifests.kinds import CLUSTER_SCOPED, WEBHOOK_KINDS, WORKLOAD_KINDS, kind_rank
from kfwizard.manifests.objects import Manifest, crd_scopes


@dataclass(frozen=True)
class WorkloadRef:
    """A workload that must be ready before the next tier."""

    kind: str
    namespace: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name}


@dataclass(frozen=True)
class WebhookRef:
    """An admission webhook configuration and the service behind it; the next tier's
    objects may go through it, so its backend must answer first."""

    kind: str
    name: str
    service_namespace: str
    service_name: str
    port: int
    failure_policy: str
    ca_from: str
    """``cert-manager.io/inject-ca-from`` annotation, or "" when the controller writes it."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "service": f"{self.service_namespace}/{self.service_name}:{self.port}",
            "failurePolicy": self.failure_policy,
            "caFrom": self.ca_from,
        }


@dataclass
class Tier:
    """Objects to apply together, then what to wait for before the next tier."""

    name: str
    objects: list[Manifest]
    wait_crds: list[str] = field(default_factory=list)
    wait_ready: list[WorkloadRef] = field(default_factory=list)
    webhooks: list[WebhookRef] = field(default_factory=list)
    description: str = ""
    notes: list[str] = field(default_factory=list)
    """Platform specifics worth showing when this tier is slow or fails."""

    def counts_by_kind(self) -> dict[str, int]:
        return dict(sorted(Counter(m.kind for m in self.objects).items()))

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "objects": len(self.objects),
            "kinds": self.counts_by_kind(),
            "wait_crds": list(self.wait_crds),
            "wait_ready": [w.as_dict() for w in self.wait_ready],
            "webhooks": [w.as_dict() for w in self.webhooks],
            "notes": list(self.notes),
        }


# -- helpers -------------------------------------------------------------------------


def _sorted(objects: Iterable[Manifest]) -> list[Manifest]:
    return sorted(objects, key=lambda m: kind_rank(m.kind, m.group))  # stable


def _workloads(objects: Iterable[Manifest]) -> list[WorkloadRef]:
    found = []
    for m in objects:
        if m.kind in WORKLOAD_KINDS and m.group == "apps":
            replicas = (m.obj.get("spec") or {}).get("replicas", 1)
            if replicas != 0:
                found.append(WorkloadRef(m.kind, m.namespace, m.name))
    return found


def webhook_refs(m: Manifest) -> list[WebhookRef]:
    """One :class:`WebhookRef` per distinct backend service of a webhook configuration."""
    if m.kind not in WEBHOOK_KINDS:
        return []
    annotations = m.obj["metadata"].get("annotations") or {}
    ca_from = str(annotations.get("cert-manager.io/inject-ca-from", ""))
    refs: dict[tuple[str, str, int], WebhookRef] = {}
    for hook in m.obj.get("webhooks") or []:
        if not isinstance(hook, dict):
            continue
        service = (hook.get("clientConfig") or {}).get("service") or {}
        key = (
            str(service.get("namespace", "")),
            str(service.get("name", "")),
            int(service.get("port", 443) or 443),
        )
        if key not in refs:
            refs[key] = WebhookRef(
                m.kind,
                m.name,
                key[0],
                key[1],
                key[2],
                str(hook.get("failurePolicy", "Fail")),
                ca_from,
            )
    return list(refs.values())


def _crd_names(objects: Iterable[Manifest]) -> list[str]:
    return [m.name for m in objects if m.is_crd]


# -- KFP standalone --------------------------------------------------------------------


def kfp_tiers(manifests: list[Manifest], scopes: Mapping[tuple[str, str], str]) -> list[Tier]:
    """(1) Namespaces and CRDs, (2) other cluster-scoped objects, (3) namespaced objects,
    (4) custom resources. Webhook configurations go last in (3), after the workloads that
    serve them, because a ``Fail`` webhook without a backend blocks what it intercepts."""
    buckets: dict[int, list[Manifest]] = {1: [], 2: [], 3: [], 4: []}
    for m in manifests:
        namespaced = m.is_namespaced(CLUSTER_SCOPED, scopes)
        if (m.kind == "Namespace" and m.group == "") or m.is_crd:
            buckets[1].append(m)
        elif m.is_custom_resource:
            buckets[4].append(m)
        elif m.kind in WEBHOOK_KINDS:
            buckets[3].append(m)
        elif not namespaced:
            buckets[2].append(m)
        else:
            buckets[3].append(m)
    specs = (
        (1, "namespaces-and-crds", "Namespaces and CustomResourceDefinitions."),
        (2, "cluster-scoped", "Cluster-wide RBAC and other cluster-scoped objects."),
        (3, "namespaced", "Accounts, config, services, storage and the Deployments."),
        (4, "custom-resources", "Objects of the kinds the CRDs define."),
    )
    tiers = []
    for number, name, description in specs:
        objects = _sorted(buckets[number])
        if not objects:
            continue
        tiers.append(
            Tier(
                name=name,
                objects=objects,
                wait_crds=_crd_names(objects),
                webhooks=[w for m in objects for w in webhook_refs(m)],
                description=description,
            )
        )
    return tiers


# -- full Kubeflow platform ----------------------------------------------------------------

KUBEFLOW_TIERS: tuple[tuple[str, str], ...] = (
    (
        "foundations",
        "The 7 Namespaces, every CRD, cluster roles and the PriorityClass; no "
        "webhook configurations yet.",
    ),
    ("cert-manager", "cert-manager and its webhook; the other components' certificates need it."),
    (
        "istio",
        "The kubeflow ClusterIssuer, Istio (CNI node agent, istiod, gateways) and the "
        "kubeflow-gateway; every pod in kubeflow, kubeflow-system and knative-serving "
        "needs istiod's injector.",
    ),
    ("auth", "Dex and oauth2-proxy, plus the kubeflow namespaces' NetworkPolicies."),
    ("knative", "Knative Serving and net-istio, without the objects its own webhook checks."),
    (
        "knative-resources",
        "Knative's queue-proxy Image and routing Certificate, now that its webhook answers.",
    ),
    (
        "kubeflow-core",
        "Profiles and access management, the central dashboard and the "
        "PodDefaults admission webhook.",
    ),
    (
        "applications",
        "Pipelines, Katib, notebooks, tensorboards, volumes, PVC viewer, KServe, "
        "Trainer with JobSet, Spark.",
    ),
    (
        "runtimes",
        "KServe's ClusterServingRuntimes and Trainer's ClusterTrainingRuntimes, which "
        "their webhooks validate.",
    ),
    (
        "profile",
        "The example user's Profile, last: istiod, PodDefaults and Katib intercept "
        "every pod in profile namespaces.",
    ),
)

KUBEFLOW_TIER_NOTES: dict[str, tuple[str, ...]] = {
    "cert-manager": (
        "Wait for the cert-manager-webhook endpoints and a non-empty caBundle, not only for "
        "Ready pods.",
    ),
    "istio": (
        "GKE: istio-cni-node must install into /home/kubernetes/bin (target 'gke'); "
        "/opt/cni/bin is read-only there (kubeflow/community-distribution#3135).",
        "GKE Autopilot cannot run istio-cni-node (capabilities and host paths).",
        "Private GKE clusters: allow the control plane to reach nodes on tcp:15017 (istiod), "
        "8443, 9443 and 4443 (the other webhooks).",
    ),
    "knative": ("Upstream retries this apply up to 3 times; the webhook needs a minute.",),
    "applications": (
        "Expect ml-pipeline restarts while MySQL starts; upstream allows 600 s.",
        "llmisvc-controller-manager's webhook port 9443 is not opened by any NetworkPolicy "
        "(inferred); with policy enforcement its validator may be unreachable.",
    ),
}

_CORE_COMPONENTS = frozenset({"profiles", "centraldashboard", "poddefaults"})
_KNATIVE_LATE = frozenset(
    {("caching.internal.knative.dev", "Image"), ("networking.internal.knative.dev", "Certificate")}
)
_RUNTIME_KINDS = frozenset(
    {
        ("serving.kserve.io", "ClusterServingRuntime"),
        ("trainer.kubeflow.org", "ClusterTrainingRuntime"),
    }
)
_WEBHOOK_NAMESPACE_TIER = {
    "cert-manager": "cert-manager",
    "istio-system": "istio",
    "knative-serving": "knative",
}


def _is_core(m: Manifest) -> bool:
    labels = m.labels
    return any(
        labels.get(key) in _CORE_COMPONENTS
        for key in ("kustomize.component", "app", "app.kubernetes.io/component")
    )


def _webhook_tier(m: Manifest) -> str:
    refs = webhook_refs(m)
    if not refs:
        return "applications"
    ref = refs[0]
    if ref.service_namespace in _WEBHOOK_NAMESPACE_TIER:
        return _WEBHOOK_NAMESPACE_TIER[ref.service_namespace]
    if ref.service_namespace == "kubeflow" and ref.service_name == "admission-webhook-service":
        return "kubeflow-core"
    return "applications"


def kubeflow_tier_of(m: Manifest, namespaced: bool) -> str:
    """The §11 tier of one object of the full-platform render."""
    kind, group = m.kind, m.group
    if (kind == "Namespace" and group == "") or m.is_crd:
        return "foundations"
    if kind in WEBHOOK_KINDS and group == "admissionregistration.k8s.io":
        return _webhook_tier(m)
    if not namespaced and not m.is_custom_resource:
        return "foundations"  # cluster roles and bindings, PriorityClass, StorageClass...
    if (group, kind) == ("cert-manager.io", "ClusterIssuer"):
        return "istio"  # the first tier applied after cert-manager's webhook answers
    if (group, kind) in _RUNTIME_KINDS:
        return "runtimes"
    if (group, kind) == ("kubeflow.org", "Profile"):
        return "profile"
    if not namespaced:
        return "applications"
    ns = m.namespace
    if ns == "cert-manager":
        return "cert-manager"
    if ns == "kube-system":
        return "cert-manager" if m.name.startswith("cert-manager") else "istio"
    if ns == "istio-system":
        return "istio"
    if ns in ("auth", "oauth2-proxy"):
        return "auth"
    if ns == "knative-serving":
        return "knative-resources" if (group, kind) in _KNATIVE_LATE else "knative"
    if ns in ("kubeflow", "kubeflow-system"):
        if kind == "NetworkPolicy" and "application-crd-id" not in m.labels:
            return "auth"  # common/kubeflow-namespace's policies (example entry 9)
        if (group, kind) == ("networking.istio.io", "Gateway") and m.name == "kubeflow-gateway":
            return "istio"
        if ns == "kubeflow" and _is_core(m):
            return "kubeflow-core"
    return "applications"


def kubeflow_tiers(manifests: list[Manifest], scopes: Mapping[tuple[str, str], str]) -> list[Tier]:
    """The platform's install tiers; every object lands in exactly one."""
    buckets: dict[str, list[Manifest]] = {name: [] for name, _ in KUBEFLOW_TIERS}
    for m in manifests:
        buckets[kubeflow_tier_of(m, m.is_namespaced(CLUSTER_SCOPED, scopes))].append(m)
    tiers = []
    for name, description in KUBEFLOW_TIERS:
        objects = _sorted(buckets[name])
        if not objects:
            continue
        tiers.append(
            Tier(
                name=name,
                objects=objects,
                wait_crds=_crd_names(objects),
                wait_ready=_workloads(objects),
                webhooks=[w for m in objects for w in webhook_refs(m)],
                description=description,
                notes=list(KUBEFLOW_TIER_NOTES.get(name, ())),
            )
        )
    return tiers


TIERERS: dict[str, Callable[[list[Manifest], Mapping[tuple[str, str], str]], list[Tier]]] = {
    "kfp-standalone": kfp_tiers,
    "kfp-gcp": kfp_tiers,
    "kubeflow": kubeflow_tiers,
}


def build_tiers(
    mode: str, manifests: list[Manifest], scopes: Mapping[tuple[str, str], str] | None = None
) -> list[Tier]:
    """Tiers for ``mode`` (unknown modes get the generic KFP tiers)."""
    if scopes is None:
        scopes = crd_scopes(manifests)
    return TIERERS.get(mode, kfp_tiers)(manifests, scopes)
