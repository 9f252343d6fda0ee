"""Finding versions and env targets: spelling, defaults, what each mode offers, and where
a release archive is downloaded from."""

from __future__ import annotations

import re
from collections.abc import Mapping

from kfwizard.manifests import modes, versions
from kfwizard.manifests.findings import Advisory
from kfwizard.manifests.modes import KFP_GCP, KUBEFLOW
from kfwizard.manifests.versions import KfpRelease, KubeflowRelease

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
    """The catalog's spelling of ``version`` (``v2.17.0`` -> ``2.17.0``; ``latest`` -> the
    mode's default), or it unchanged."""
    if not version or str(version).strip().lower() == "latest":
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
