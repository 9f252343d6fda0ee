"""The wizard's judgement about versions and modes: what to offer, what to refuse before
anything is touched, what to warn about, and how to explain it plainly.

The facts live in :mod:`versions` and :mod:`modes`; this module turns them into answers.
Refusals are impossible combinations (a 1.6.0 install on Kubernetes 1.33 cannot
succeed); advisories are things that will work but not the way people expect (env/dev
on 2.16+ gives no public URL).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from kfwizard.manifests import modes, versions
from kfwizard.manifests.modes import KFP_GCP, KFP_STANDALONE, KUBEFLOW, MODES
from kfwizard.manifests.versions import KfpRelease, KubeflowRelease


@dataclass(frozen=True)
class Refusal:
    """An impossible combination, refused before anything is created."""

    rule: str
    reason: str
    suggestion: str

    def message(self) -> str:
        return f"{self.reason} {self.suggestion}"

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "reason": self.reason, "suggestion": self.suggestion}


@dataclass(frozen=True)
class Advisory:
    """Something that will install but behave differently than people expect."""

    rule: str
    reason: str
    suggestion: str

    def message(self) -> str:
        return f"{self.reason} {self.suggestion}".strip()

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "reason": self.reason, "suggestion": self.suggestion}


# -- versions ----------------------------------------------------------------------------


def vtuple(text: str) -> tuple[int, ...]:
    """``"2.14.3"`` -> ``(2, 14, 3)``; non-numeric parts end the tuple."""
    out: list[int] = []
    for part in text.lstrip("v").split("."):
        digits = re.match(r"\d+", part)
        if not digits:
            break
        out.append(int(digits.group()))
    return tuple(out)


def parse_k8s_version(text: str | None) -> tuple[int, int] | None:
    """``"v1.33.5-gke.1080000"``, ``"1.33"`` or ``"1.33+"`` -> ``(1, 33)``; None if unknown."""
    if not text:
        return None
    match = re.search(r"(\d+)\.(\d+)", str(text))
    return (int(match.group(1)), int(match.group(2))) if match else None


def _k8s(text: str) -> tuple[int, int]:
    parsed = parse_k8s_version(text)
    assert parsed is not None, text
    return parsed


def kfp_release(version: str | None) -> KfpRelease | None:
    if not version:
        return None
    text = str(version).strip()
    return versions.KFP_BY_VERSION.get(text) or versions.KFP_BY_VERSION.get(text.lstrip("vV"))


def kubeflow_release(tag: str | None) -> KubeflowRelease | None:
    if not tag:
        return None
    text = str(tag).strip()
    found = versions.KUBEFLOW_BY_TAG.get(text)
    if found is None and not text.startswith("v"):
        found = versions.KUBEFLOW_BY_TAG.get("v" + text)
    return found


def versions_for(mode: str) -> tuple[str, ...]:
    """Offered versions, newest first."""
    if mode == KUBEFLOW:
        return tuple(r.tag for r in versions.KUBEFLOW_RELEASES)
    found = [r.version for r in versions.KFP_RELEASES]
    if mode == KFP_GCP:
        found = [r.version for r in versions.KFP_RELEASES if r.gcp_has_object_store]
    return tuple(sorted(found, key=vtuple, reverse=True))


def default_version(mode: str) -> str:
    if mode == KUBEFLOW:
        return versions.DEFAULT_KUBEFLOW_TAG
    if mode == KFP_GCP:
        return versions_for(KFP_GCP)[0]
    return versions.DEFAULT_KFP_VERSION


def normalise_version(mode: str, version: str | None) -> str:
    """The catalog's spelling of ``version`` (``v2.17.0`` -> ``2.17.0``), or it unchanged."""
    if not version:
        return default_version(mode)
    release = kubeflow_release(version) if mode == KUBEFLOW else kfp_release(version)
    if release is None:
        return str(version).strip()
    return release.tag if isinstance(release, KubeflowRelease) else release.version


# -- envs --------------------------------------------------------------------------------


def envs_for(mode: str, version: str | None) -> tuple[str, ...]:
    """The env targets the wizard offers for ``mode`` at ``version``."""
    if mode == KUBEFLOW:
        return modes.KUBEFLOW_ENVS
    if mode == KFP_GCP:
        return ("gcp",)
    release = kfp_release(version)
    if release is None:
        return modes.KFP_OFFERED_ENVS
    offered = [e for e in modes.KFP_OFFERED_ENVS if e in release.envs]
    offered += [e for e in modes.KFP_EXTRA_ENVS.get(release.version, ()) if e in release.envs]
    return tuple(offered)


def default_env(mode: str, version: str | None) -> str:
    if mode == KUBEFLOW:
        return "gke"
    if mode == KFP_GCP:
        return "gcp"
    release = kfp_release(version)
    return release.recommended_env if release else "platform-agnostic"


def effective_env(mode: str, version: str | None, env: str | None) -> tuple[str, Advisory | None]:
    """The env that will be installed, and a note when the given one was replaced.

    ``kfp-gcp`` is ``env/gcp`` by definition; ``kubeflow`` has its own targets, so a KFP
    env name carried over from another mode falls back to the GKE target.
    """
    if mode == KFP_GCP:
        if env not in (None, "", "gcp", "platform-agnostic"):
            return "gcp", Advisory(
                "env-ignored", f"env {env!r} is ignored:", "kfp-gcp always installs env/gcp."
            )
        return "gcp", None
    if mode == KUBEFLOW:
        if not env:
            return "gke", None
        if env in modes.KFP_OFFERED_ENVS or env in modes.KFP_EXTRA_ENVS.get("1.6.0", ()):
            return "gke", Advisory(
                "env-ignored",
                f"env {env!r} is a KFP target;",
                "the full platform uses target 'gke' (example + GKE Istio overlay).",
            )
        return env, None
    return (env or default_env(mode, version)), None


# -- refusals ----------------------------------------------------------------------------


def _version_refusal(mode: str, version: str) -> Refusal:
    text = str(version).strip()
    if mode == KUBEFLOW:
        return Refusal(
            "unknown-version",
            f"Kubeflow release {text!r} is not one kfwizard knows.",
            f"Pick one of: {', '.join(versions_for(KUBEFLOW))}.",
        )
    bare = text.lstrip("vV")
    offered = ", ".join(versions_for(mode))
    if bare in versions.SDK_ONLY_TAGS or bare.startswith("sdk-"):
        return Refusal(
            "sdk-only-tag",
            f"{text} is an SDK-only tag: its manifests/kustomize still pins the 1.7.0 backend "
            "images and an apiextensions.k8s.io/v1beta1 CRD, so it would silently install KFP "
            "1.7.0 (kubeflow/pipelines#9298).",
            "Use 1.8.5, the last 1.8.x with real manifests, or a 2.x release such as 2.17.0.",
        )
    if bare in versions.MISSING_1_8_TAGS:
        return Refusal(
            "no-such-tag",
            f"KFP {text} was never tagged: 1.8.x backend tags end at 1.8.5, and 1.8.13-1.8.22 "
            "are SDK-only.",
            "Use 1.8.5 or a 2.x release such as 2.17.0.",
        )
    parts = vtuple(bare)
    if len(parts) >= 2 and parts[0] == 2 and parts[1] in versions.MISSING_2_X_MINORS:
        return Refusal(
            "no-such-tag",
            f"There is no KFP backend {text}: the backend jumped from 2.5.0 to 2.14.0 to line "
            "up with the SDK; 2.6-2.13 exist only as SDK releases.",
            f"Pick a backend release: {offered}.",
        )
    if bare.startswith("master"):
        return Refusal(
            "not-a-release",
            f"{text} is a development snapshot, not a release; its images are mutable.",
            f"Pick a release: {offered}.",
        )
    return Refusal(
        "unknown-version",
        f"KFP version {text!r} is not one kfwizard offers for {mode}.",
        f"Pick one of: {offered}.",
    )


def refusals(
    mode: str,
    version: str | None,
    env: str | None,
    server_version: str | None,
    autopilot: bool | None,
    *,
    on_gke: bool | None = None,
    local_manifests: bool = False,
) -> list[Refusal]:
    """Every reason the combination cannot work; empty when it can.

    ``server_version``/``autopilot``/``on_gke`` may be None (not known yet): the rules that
    need them are then checked later, in preflight. With ``local_manifests`` (the user
    supplied rendered YAML or a tree) the ``:master`` rule is judged on the images found
    in the files instead of on the upstream tag.
    """
    if mode not in MODES:
        return [
            Refusal(
                "unknown-mode",
                f"Deployment mode {mode!r} is not one kfwizard knows.",
                f"Pick one of: {', '.join(MODES)}.",
            )
        ]
    server = parse_k8s_version(server_version)
    if autopilot is True:
        on_gke = True
    if mode == KUBEFLOW:
        return _kubeflow_refusals(version, env, server, autopilot, on_gke)
    release = kfp_release(version or default_version(mode))
    if release is None:
        return [_version_refusal(mode, str(version))]
    env_name, _ = effective_env(mode, release.version, env)
    found: list[Refusal] = []
    if env_name not in envs_for(mode, release.version):
        found.append(
            Refusal(
                "unknown-env",
                f"env {env_name!r} is not offered for {mode} {release.version}"
                + (
                    " (it exists upstream, but kfwizard does not install it)."
                    if env_name in release.envs
                    else "."
                ),
                f"Pick one of: {', '.join(envs_for(mode, release.version))}.",
            )
        )
    if server and release.k8s_max_exclusive and server >= _k8s(release.k8s_max_exclusive):
        found.append(
            Refusal(
                "crd-v1beta1" if release.crd_api.endswith("v1beta1") else "kubernetes-too-new",
                f"KFP {release.version}'s CRDs use {release.crd_api}, which Kubernetes removed in "
                f"{release.k8s_max_exclusive}; this cluster runs {server[0]}.{server[1]}, "
                "so the first "
                'apply fails with "no matches for kind CustomResourceDefinition" '
                "(kubeflow/pipelines#8076, #9298). Its cache-deployer also uses the removed "
                "certificates.k8s.io/v1beta1.",
                "Pick 1.8.5 (the last 1.x, with v1 CRDs) or a 2.x release such as 2.17.0.",
            )
        )
    if env_name == "dev" and release.dev_pins_master and not local_manifests:
        found.append(
            Refusal(
                "dev-master-images",
                f"env/dev of {release.version} overrides every KFP image to the mutable "
                "`:master` tag "
                "(kubeflow/pipelines PR #11977, since 2.14), so you would not get the "
                f"{release.version} release.",
                "Use env platform-agnostic: the same components with the release images "
                "(open the UI with a port-forward).",
            )
        )
    if env_name == "gcp" and not release.gcp_has_object_store:
        found.append(
            Refusal(
                "gcp-no-object-store",
                "From 2.15.0 env/gcp has no object store: the MinIO GCS gateway was removed with "
                "the switch to SeaweedFS (#11965), yet Argo still points at "
                "seaweedfs.kubeflow.svc:9000, so runs could not store artifacts.",
                f"Use KFP {versions_for(KFP_GCP)[0]} for Cloud SQL + GCS, or env platform-agnostic "
                f"on {release.version}.",
            )
        )
    return found


def _kubeflow_refusals(
    version: str | None,
    env: str | None,
    server: tuple[int, int] | None,
    autopilot: bool | None,
    on_gke: bool | None,
) -> list[Refusal]:
    release = kubeflow_release(version or versions.DEFAULT_KUBEFLOW_TAG)
    if release is None:
        return [_version_refusal(KUBEFLOW, str(version))]
    found: list[Refusal] = []
    env_name, _ = effective_env(KUBEFLOW, release.tag, env)
    if env_name not in modes.KUBEFLOW_ENVS:
        found.append(
            Refusal(
                "unknown-env",
                f"target {env_name!r} is not offered for the full platform.",
                f"Pick one of: {', '.join(modes.KUBEFLOW_ENVS)}.",
            )
        )
    if autopilot:
        found.append(
            Refusal(
                "kubeflow-autopilot",
                "Full Kubeflow cannot run on GKE Autopilot: Istio's CNI node agent needs the "
                "NET_ADMIN and SYS_ADMIN capabilities and writable host paths, and cert-manager "
                "and Istio write to kube-system; Autopilot rejects all of these "
                "(istio/istio.io#16266, istio/istio#57356).",
                "Use a GKE Standard cluster, or install KFP standalone (platform-agnostic), "
                "which runs on Autopilot.",
            )
        )
    if env_name == "example" and on_gke and release.istio_cni is not False:
        found.append(
            Refusal(
                "istio-cni-gke",
                "The upstream `example` installs Istio's CNI binaries into /opt/cni/bin, which is "
                'read-only on GKE, so istio-cni-node fails with "read-only file system" '
                "(kubeflow/community-distribution#3135).",
                "Use target 'gke' (the same install with Istio's GKE overlay).",
            )
        )
    return found


# -- advisories ---------------------------------------------------------------------------


def advisories(
    mode: str,
    version: str | None,
    env: str | None,
    server_version: str | None = None,
    autopilot: bool | None = None,
    *,
    on_gke: bool | None = None,
) -> list[Advisory]:
    """Warnings that do not stop the install (shown on the mode screen and logged)."""
    if mode not in MODES:
        return []
    server = parse_k8s_version(server_version)
    if autopilot is True:
        on_gke = True
    found: list[Advisory] = []
    if mode == KUBEFLOW:
        release_kf = kubeflow_release(version or versions.DEFAULT_KUBEFLOW_TAG)
        if release_kf is None:
            return []
        env_name, note = effective_env(mode, release_kf.tag, env)
        if note:
            found.append(note)
        if server and server < _k8s(release_kf.k8s_validated):
            found.append(
                Advisory(
                    "kubernetes-below-validated",
                    f"Kubeflow {release_kf.tag} is validated on Kubernetes "
                    f"{release_kf.k8s_validated}+; "
                    f"this cluster runs {server[0]}.{server[1]}.",
                    "It may work; a newer cluster is the tested path.",
                )
            )
        if env_name == "gke" and on_gke is False:
            found.append(
                Advisory(
                    "gke-overlay-off-gke",
                    "Target 'gke' puts Istio's CNI binaries in /home/kubernetes/bin, a GKE path.",
                    "Use target 'example' on other clusters.",
                )
            )
        found.append(
            Advisory(
                "default-login",
                "The platform's login is user@example.com with password 12341234 (Dex).",
                "Change it after the install (delete and recreate Secret dex-passwords in auth).",
            )
        )
        return found
    release = kfp_release(version or default_version(mode))
    if release is None:
        return []
    env_name, note = effective_env(mode, release.version, env)
    if note:
        found.append(note)
    if env_name in ("dev", "gcp"):
        found += _proxy_advisories(release, autopilot, on_gke)
    if release.executor == "docker" and env_name != "platform-agnostic-pns":
        found.append(
            Advisory(
                "docker-executor",
                f"KFP {release.version}'s Argo {release.argo_version} uses the docker executor, so "
                "pipeline steps fail on containerd nodes (every GKE node from 1.24).",
                "Use env platform-agnostic-pns, or better KFP 1.8.5 or 2.x.",
            )
        )
    if server:
        low = _k8s(release.k8s_min)
        if server < low:
            found.append(
                Advisory(
                    "kubernetes-too-old",
                    f"KFP {release.version} uses Kubernetes APIs from {release.k8s_min}; "
                    "this cluster "
                    f"runs {server[0]}.{server[1]}.",
                    "Upgrade the cluster or pick an older KFP.",
                )
            )
        elif release.k8s_tested and not (
            _k8s(release.k8s_tested[0]) <= server <= _k8s(release.k8s_tested[1])
        ):
            found.append(
                Advisory(
                    "kubernetes-untested",
                    f"Upstream tests KFP {release.version} on Kubernetes "
                    f"{release.k8s_tested[0]} and "
                    f"{release.k8s_tested[1]}; this cluster runs {server[0]}.{server[1]}.",
                    "It usually works; report problems with this version pair.",
                )
            )
    if mode == KFP_STANDALONE and env_name != "gcp":
        store = "MinIO (minio / minio123)" if release.minio else "SeaweedFS"
        found.append(
            Advisory(
                "default-credentials",
                f"In-cluster MySQL uses user root with an empty password; {store} keys are "
                "defaults.",
                "Both are reachable only inside the cluster.",
            )
        )
    return found


def _proxy_advisories(
    release: KfpRelease, autopilot: bool | None, on_gke: bool | None
) -> list[Advisory]:
    if release.psa_baseline:
        return [
            Advisory(
                "proxy-blocked-psa",
                f"On {release.version} the kubeflow namespace enforces Pod Security 'baseline', "
                "which forbids proxy-agent's hostNetwork, so its pods are never created and there "
                "is no public URL (inferred from the manifests, #12782).",
                "Use `kubectl port-forward -n kubeflow svc/ml-pipeline-ui 8080:80`; the Verify "
                "step can open it for you.",
            )
        ]
    if autopilot:
        return [
            Advisory(
                "proxy-autopilot",
                "GKE Autopilot rejects hostNetwork pods (inferred), so proxy-agent cannot run and "
                "there is no public URL.",
                "Use port-forward to reach the UI.",
            )
        ]
    if on_gke is False:
        return [
            Advisory(
                "proxy-needs-gce",
                "proxy-agent reads the zone from the GCE metadata server and crash-loops off GCP "
                '("Could not resolve host: metadata.google.internal", kubeflow/pipelines#5553); '
                "controller-manager is reported crash-looping there too (#9546).",
                "Use env platform-agnostic on clusters outside Google Cloud.",
            )
        ]
    return [
        Advisory(
            "proxy-needs-token",
            "proxy-agent registers with Google's inverse proxy using the node's credentials; the "
            "public URL appears about 20 s after it starts.",
            "If it never appears, give the nodes the cloud-platform scope.",
        )
    ]


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
        release = kubeflow_release(version or versions.DEFAULT_KUBEFLOW_TAG)
        cpu, mem = versions.KUBEFLOW_REQUESTS_WITH_SIDECARS
        return ResourceNeeds(
            cpu,
            mem,
            release is not None and release.tag == "26.03",
            "26.03 render: ~3.0 vCPU / 7 GiB requested + ~32 Istio sidecars (inferred)",
            release.recommended_cpu_m if release else 8000,
            release.recommended_memory_mib if release else 16384,
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
        release = kubeflow_release(version or versions.DEFAULT_KUBEFLOW_TAG)
        kfp = release.kfp_version if release else None
        if kfp:
            kfp_rel = kfp_release(kfp)
            return kfp_rel.sdk if kfp_rel else f"kfp~={kfp}"
        return "kfp>=2,<3"
    release = kfp_release(version or default_version(mode))
    return release.sdk if release else "kfp>=2,<3"


def sdk_line(mode: str, version: str | None) -> str:
    return f'pip install "{sdk_requirement(mode, version)}"'


# -- kfp-gcp inputs ------------------------------------------------------------------------

_PROJECT = r"[a-z][a-z0-9-]{4,28}[a-z0-9]"
_REGION = r"[a-z]+(?:-[a-z]+)+\d+"
_INSTANCE = r"[a-z](?:[a-z0-9-]*[a-z0-9])?"
_CONNECTION = re.compile(
    rf"^(?:(?P<domain>[a-z0-9.-]+\.[a-z]+):)?(?P<project>{_PROJECT}):(?P<region>{_REGION}):"
    rf"(?P<instance>{_INSTANCE})$"
)
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$")


def cloudsql_connection_problem(value: object) -> str | None:
    """Why ``value`` is not a Cloud SQL instance connection name, or None when it is.

    The form is ``project:region:instance`` (``domain:project:region:instance`` for
    domain-scoped projects), e.g. ``my-project:us-central1:kfp-db``.
    """
    if not isinstance(value, str) or not value.strip():
        return "is required: the instance connection name, project:region:instance"
    text = value.strip()
    match = _CONNECTION.match(text)
    if match is None:
        return (
            "must be the instance connection name project:region:instance, "
            "e.g. my-project:us-central1:kfp-db"
        )
    if len(match.group("project")) + 1 + len(match.group("instance")) > 98:
        return "project id and instance name together must be at most 98 characters"
    return None


def bucket_problem(value: object) -> str | None:
    """Why ``value`` is not a Cloud Storage bucket name, or None when it is."""
    if not isinstance(value, str) or not value.strip():
        return "is required: the name of an existing Cloud Storage bucket"
    text = value.strip()
    if text.startswith("gs://"):
        return "give the bare bucket name, without gs://"
    if not _BUCKET.match(text):
        return (
            "must use lowercase letters, digits, -, _ and . "
            "and start and end with a letter or digit"
        )
    parts = text.split(".")
    if (
        len(text) > (222 if len(parts) > 1 else 63)
        or len(text) < 3
        or any(len(p) > 63 for p in parts)
    ):
        return "must be 3-63 characters (up to 222 with dots, 63 per dot-separated part)"
    if text.startswith("goog") or "google" in text:
        return "cannot start with goog or contain google"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", text):
        return "cannot be an IP address"
    return None


def db_user_problem(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return "is required (the Cloud SQL user, e.g. root)"
    if len(value) > 32 or re.search(r"\s", value):
        return "must be at most 32 characters with no spaces"
    return None


def gcp_input_problems(gcp: Mapping[str, Any] | None) -> list[tuple[str, str, object]]:
    """``(field, rule, value)`` for each bad kfp-gcp input; the password is never an input."""
    gcp = gcp or {}
    problems: list[tuple[str, str, object]] = []
    for key in ("password", "db_password"):
        if key in gcp:
            problems.append(
                (
                    f"deployment.gcp.{key}",
                    "must not be saved; the wizard asks for it at run time",
                    None,
                )
            )
    checks = (
        ("bucket", bucket_problem),
        ("cloudsql_instance", cloudsql_connection_problem),
        ("db_user", db_user_problem),
    )
    for key, check in checks:
        value = gcp.get(key, "root" if key == "db_user" else None)
        rule = check(value)
        if rule:
            problems.append((f"deployment.gcp.{key}", rule, value))
    return problems


# -- sources ------------------------------------------------------------------------------

KFP_RELEASES_URL = "https://github.com/kubeflow/pipelines/archive/refs/tags"
KUBEFLOW_RELEASES_URL = "https://github.com/kubeflow/manifests/archive/refs/tags"


def archive_url(mode: str, version: str, env: Mapping[str, str] | None = None) -> str:
    """The release tarball URL; ``KFWIZARD_RELEASES_URL`` (KFP) or
    ``KFWIZARD_KUBEFLOW_RELEASES_URL`` replace the GitHub base (mirrors, tests)."""
    env = env or {}
    if mode == KUBEFLOW:
        base = env.get("KFWIZARD_KUBEFLOW_RELEASES_URL") or KUBEFLOW_RELEASES_URL
    else:
        base = env.get("KFWIZARD_RELEASES_URL") or KFP_RELEASES_URL
    return f"{base.rstrip('/')}/{version}.tar.gz"


# -- explanation ---------------------------------------------------------------------------


def describe(mode: str, version: str | None) -> dict[str, Any]:
    """The facts of one version as JSON-able data (for the UI's detail pane)."""
    if mode == KUBEFLOW:
        kf = kubeflow_release(version or versions.DEFAULT_KUBEFLOW_TAG)
        if kf is None:
            return {}
        return {
            "version": kf.tag,
            "released": kf.released,
            "kubernetes_validated": kf.k8s_validated,
            "kustomize": kf.kustomize,
            "istio": kf.istio,
            "cert_manager": kf.cert_manager,
            "dex": kf.dex,
            "knative": kf.knative,
            "oauth2_proxy": kf.oauth2_proxy,
            "kfp_version": kf.kfp_version,
            "remote_bases": kf.remote_refs,
            "objects": kf.objects,
            "sdk_line": sdk_line(mode, kf.tag),
        }
    release = kfp_release(version or default_version(mode))
    if release is None:
        return {}
    return {
        "version": release.version,
        "released": release.released,
        "envs": list(envs_for(mode, release.version)),
        "recommended_env": release.recommended_env,
        "kubernetes_min": release.k8s_min,
        "kubernetes_max_exclusive": release.k8s_max_exclusive,
        "kubernetes_tested": list(release.k8s_tested) if release.k8s_tested else None,
        "remote_bases": release.remote_bases,
        "needs_git": release.remote_bases,
        "argo": release.argo_version,
        "object_store": release.object_store,
        "inverse_proxy": "blocked by Pod Security baseline"
        if release.psa_baseline
        else "works on GKE",
        "gcp_variant_usable": release.gcp_has_object_store,
        "dev_pins_master": release.dev_pins_master,
        "sdk_line": sdk_line(mode, release.version),
        "sdk_source": release.sdk_source,
    }


def explain(mode: str, version: str | None = None, env: str | None = None) -> str:
    """The plain-English text for the mode screen: what will be installed and why."""
    if mode not in MODES:
        return f"Unknown mode {mode!r}. kfwizard offers: {', '.join(MODES)}."
    version = normalise_version(mode, version)
    env_name, _ = effective_env(mode, version, env)
    lines = [modes.MODE_TITLES[mode], "", modes.MODE_SUMMARIES[mode], ""]
    if mode == KUBEFLOW:
        kf = kubeflow_release(version)
        minio = False
        if kf is not None:
            lines.append(
                f"Release {kf.tag} ({kf.released}): validated on Kubernetes {kf.k8s_validated}+, "
                f"Istio {kf.istio}, cert-manager {kf.cert_manager}, Dex {kf.dex}"
                + (f", Kubeflow Pipelines {kf.kfp_version}." if kf.kfp_version else ".")
            )
        lines += ["", "Components:", *(f"- {c}" for c in modes.KUBEFLOW_COMPONENTS)]
    else:
        release = kfp_release(version)
        minio = release.minio if release else False
        if release is not None:
            store = "MinIO" if release.minio else "SeaweedFS"
            lines.append(
                f"KFP {release.version} ({release.released}): "
                f"Argo Workflows {release.argo_version}, "
                f"{store} for artifacts, SDK: {sdk_line(mode, release.version)}."
            )
            if release.remote_bases:
                lines.append(
                    "Its kustomizations fetch Argo from github.com: rendering them needs git."
                )
    if env_name in modes.ENV_DESCRIPTIONS:
        lines += ["", f"Target {env_name}: {modes.ENV_DESCRIPTIONS[env_name]}"]
    lines += ["", "Also installs:"]
    lines += [
        f"- {p.name}: {p.sentence}"
        for p in modes.third_party_parts(mode, minio=minio, env=env_name)
    ]
    services = modes.SERVICES[mode]
    lines += ["", "Google Cloud APIs:"]
    lines += [f"- {s.api} ({'required' if s.required else 'optional'}): {s.why}" for s in services]
    needs = resource_needs(mode, version, env_name)
    lines += [
        "",
        f"Size: the pods request about {needs.cpu_m / 1000:.1f} vCPU and "
        f"{needs.memory_mib / 1024:.1f} GiB{'' if needs.exact else ' (approximate)'}; many "
        f"declare no requests, so plan for more. The wizard wants at least "
        f"{needs.min_allocatable_cpu_m // 1000} vCPU and "
        f"{needs.min_allocatable_memory_mib // 1024} "
        f"GiB allocatable and recommends {needs.recommended_nodes} x {needs.recommended_machine}"
        + (f"; disks: {needs.disk_gib} GiB." if needs.disk_gib else "."),
    ]
    blocked = refusals(mode, version, env_name, None, None)
    notes = advisories(mode, version, env_name)
    if blocked:
        lines += ["", "Not possible:", *(f"- {r.message()}" for r in blocked)]
    if notes:
        lines += ["", "Good to know:", *(f"- {a.message()}" for a in notes)]
    return "\n".join(lines)
