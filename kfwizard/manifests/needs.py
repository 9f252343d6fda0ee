"""What a mode needs and runs: its critical Deployments, its CPU and memory, the Google
APIs it uses and the SDK that matches its backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from kfwizard.manifests import modes, versions
from kfwizard.manifests.lookup import default_version, effective_env, kfp_release, kubeflow_release
from kfwizard.manifests.modes import KUBEFLOW

# -- deployments, resources, services ----------------------------------------------------


@dataclass(frozen=True)
class DeploymentRoles:
    """Which Deployments must become Available (critical) and which only warn (§6)."""

    namespace: str
    critical: tuple[str, ...]
    warn_only: tuple[str, ...]


KFP_WARN_ONLY = (
    "cache-server",
    "cache-deployer-deployment",
    "metadata-writer",
    "metadata-envoy-deployment",
    "ml-pipeline-viewer-crd",
    "ml-pipeline-visualizationserver",
)
KUBEFLOW_CRITICAL: tuple[tuple[str, str], ...] = (
    ("cert-manager", "cert-manager"),
    ("cert-manager", "cert-manager-cainjector"),
    ("cert-manager", "cert-manager-webhook"),
    ("istio-system", "istiod"),
    ("istio-system", "istio-ingressgateway"),
    ("auth", "dex"),
    ("oauth2-proxy", "oauth2-proxy"),
    ("knative-serving", "activator"),
    ("knative-serving", "autoscaler"),
    ("knative-serving", "controller"),
    ("knative-serving", "webhook"),
    ("kubeflow", "centraldashboard"),
    ("kubeflow", "profiles-deployment"),
    ("kubeflow", "admission-webhook-deployment"),
    ("kubeflow", "mysql"),
    ("kubeflow", "seaweedfs"),
    ("kubeflow", "metadata-grpc-deployment"),
    ("kubeflow", "ml-pipeline"),
    ("kubeflow", "ml-pipeline-ui"),
    ("kubeflow", "ml-pipeline-persistenceagent"),
    ("kubeflow", "ml-pipeline-scheduledworkflow"),
    ("kubeflow", "workflow-controller"),
)


def deployment_roles(mode: str, version: str | None, env: str | None) -> DeploymentRoles:
    """Critical and warn-only Deployments of a KFP install (kfp-manifests.md §6).

    For ``kubeflow`` the critical list is :data:`KUBEFLOW_CRITICAL` (namespaced); every
    other workload of the render is warn-only.
    """
    if mode == KUBEFLOW:
        return DeploymentRoles("", tuple(f"{ns}/{n}" for ns, n in KUBEFLOW_CRITICAL), ())
    release = kfp_release(version or default_version(mode))
    env_name, _ = effective_env(mode, version, env)
    minio = release.minio if release else False
    gcp = env_name == "gcp"
    store: tuple[str, ...] = ("minio",) if minio else (() if gcp else ("seaweedfs",))
    critical = (
        "cloudsqlproxy" if gcp else "mysql",
        *store,
        "metadata-grpc-deployment",
        "ml-pipeline",
        "ml-pipeline-ui",
        "workflow-controller",
        "ml-pipeline-persistenceagent",
        "ml-pipeline-scheduledworkflow",
    )
    extra = ("proxy-agent", "controller-manager") if env_name in ("dev", "gcp") else ()
    return DeploymentRoles("kubeflow", critical, (*KFP_WARN_ONLY, *extra))


class ResourceNeeds(NamedTuple):
    """What a mode's pods request and the smallest cluster the wizard accepts."""

    cpu_m: int
    memory_mib: int
    exact: bool
    """False when borrowed from a neighbouring release (not rendered for the notes)."""
    source: str
    min_allocatable_cpu_m: int
    min_allocatable_memory_mib: int
    recommended_nodes: int
    recommended_machine: str
    disk_gib: int


def resource_needs(mode: str, version: str | None = None, env: str | None = None) -> ResourceNeeds:
    """Summed requests for the mode (§11) and the cluster floor.

    KFP: allocatable >= 2 vCPU / 6 GiB, warn below 3 x e2-standard-2 (the v1 docs' cluster).
    Full Kubeflow: the README's 8 CPU / 16 GB, 3 x e2-standard-4 as the floor (inferred).
    """
    if mode == KUBEFLOW:
        platform = kubeflow_release(version or versions.DEFAULT_KUBEFLOW_TAG)
        cpu, mem = versions.KUBEFLOW_REQUESTS_WITH_SIDECARS
        return ResourceNeeds(
            cpu,
            mem,
            platform is not None and platform.tag == "26.03",
            "26.03 render: ~3.0 vCPU / 7 GiB requested + ~32 Istio sidecars (inferred)",
            platform.recommended_cpu_m if platform else 8000,
            platform.recommended_memory_mib if platform else 16384,
            3,
            "e2-standard-4",
            50,
        )
    release = kfp_release(version or default_version(mode)) or kfp_release(
        versions.DEFAULT_KFP_VERSION
    )
    assert release is not None
    env_name, _ = effective_env(mode, release.version, env)
    table_version = release.version
    exact = table_version in versions.KFP_REQUESTS
    if not exact:
        table_version = versions.KFP_REQUESTS_NEAREST.get(
            release.version, versions.DEFAULT_KFP_VERSION
        )
    table = versions.KFP_REQUESTS[table_version]
    cpu, mem = table.get(env_name) or table["platform-agnostic"]
    exact = exact and env_name in table
    source = f"sum of requests in the {table_version} env/{env_name} render"
    disk = 0 if env_name == "gcp" else 40
    return ResourceNeeds(cpu, mem, exact, source, 2000, 6144, 3, "e2-standard-2", disk)


class ServiceNeeds(NamedTuple):
    required: tuple[str, ...]
    optional: tuple[str, ...]


def services_for_mode(mode: str) -> ServiceNeeds:
    """Google API ids the mode needs; optional ones only warn when disabled (P8)."""
    if mode not in modes.SERVICES:
        raise KeyError(mode)
    services = modes.SERVICES[mode]
    return ServiceNeeds(
        tuple(s.api for s in services if s.required),
        tuple(s.api for s in services if not s.required),
    )


def sdk_requirement(mode: str, version: str | None) -> str:
    """The pip requirement of the SDK that matches the backend being installed."""
    if mode == KUBEFLOW:
        platform = kubeflow_release(version or versions.DEFAULT_KUBEFLOW_TAG)
        kfp = platform.kfp_version if platform else None
        if kfp:
            kfp_rel = kfp_release(kfp)
            return kfp_rel.sdk if kfp_rel else f"kfp~={kfp}"
        return "kfp>=2,<3"
    release = kfp_release(version or default_version(mode))
    return release.sdk if release else "kfp>=2,<3"


def sdk_line(mode: str, version: str | None) -> str:
    return f'pip install "{sdk_requirement(mode, version)}"'
