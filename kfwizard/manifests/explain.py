"""The mode screen's words: a version's facts as data, and a plain-English account of
what will be installed, what it needs and what to watch out for."""

from __future__ import annotations

from typing import Any

from kfwizard.manifests import modes, versions
from kfwizard.manifests.lookup import (
    default_version,
    effective_env,
    envs_for,
    kfp_release,
    kubeflow_release,
    normalise_version,
)
from kfwizard.manifests.modes import KUBEFLOW, MODES
from kfwizard.manifests.needs import resource_needs, sdk_line
from kfwizard.manifests.rules import advisories, refusals

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
