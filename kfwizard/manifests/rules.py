"""Refusals and advisories: the combinations that cannot work (refused before anything
is created) and those that work differently than expected (warned about).

Each rule names its evidence (kfp-manifests.md §14, kubeflow-manifests.md §10 and the
issues cited there) so the message can say why, not only no.
"""

from __future__ import annotations

from kfwizard.manifests import modes, versions
from kfwizard.manifests.findings import Advisory, Refusal
from kfwizard.manifests.lookup import (
    _k8s,
    default_version,
    effective_env,
    envs_for,
    kfp_release,
    kubeflow_release,
    normalise_version,
    parse_k8s_version,
    versions_for,
    vtuple,
)
from kfwizard.manifests.modes import KFP_GCP, KFP_STANDALONE, KUBEFLOW, MODES
from kfwizard.manifests.versions import KfpRelease

# -- refusals ----------------------------------------------------------------------------


def _offered_for(mode: str, server: tuple[int, int] | None, on_gke: bool | None) -> str:
    """The versions a "pick one" sentence offers, without those this cluster cannot run.

    Offering 1.6.0 to a user on GKE sends them into the next refusal (its v1beta1 CRDs need
    Kubernetes older than 1.22, which GKE no longer runs); when the cluster is not known yet
    the limit is named beside the version instead.
    """
    offered: list[str] = []
    for version in versions_for(mode):
        release = kfp_release(version)
        top = release.k8s_max_exclusive if release else None
        if top is None:
            offered.append(version)
        elif on_gke or (server and server >= _k8s(top)):
            continue
        elif server:
            offered.append(version)
        else:
            offered.append(f"{version} (Kubernetes older than {top} only)")
    return ", ".join(offered)


def _version_refusal(
    mode: str,
    version: str,
    server: tuple[int, int] | None = None,
    on_gke: bool | None = None,
) -> Refusal:
    text = str(version).strip()
    if mode == KUBEFLOW:
        return Refusal(
            "unknown-version",
            f"Kubeflow release {text!r} is not one kfwizard knows.",
            f"Pick one of: {', '.join(versions_for(KUBEFLOW))}.",
        )
    bare = text.lstrip("vV")
    offered = _offered_for(mode, server, on_gke)
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
    version = normalise_version(mode, version)
    if autopilot is True:
        on_gke = True
    if mode == KUBEFLOW:
        return _kubeflow_refusals(version, env, server, autopilot, on_gke)
    release = kfp_release(version or default_version(mode))
    if release is None:
        return [_version_refusal(mode, str(version), server, on_gke)]
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
    version = normalise_version(mode, version)
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
