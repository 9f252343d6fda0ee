"""One way in for manifests, whatever their source, and one shape out.

Sources (``deployment.manifests`` in the answers file):

- a folder of rendered YAML (``cluster-scoped-resources.yaml`` + ``env-<env>.yaml``, or
  any ``*.yaml``), or a single multi-document file: air-gapped installs, tests, the demo;
- a kustomize tree (``manifests/kustomize`` of a KFP checkout, or a kubeflow/manifests
  checkout), rendered with ``kubectl kustomize`` or ``kustomize build``;
- nothing: the release archive, downloaded over HTTPS into the cache and rendered.

Whatever the source, the result is written to ``<cache>/rendered/<mode>-<version>-<env>-
<hash>/NN-<part>.yaml`` so later steps (and a resumed run) read files instead of
rendering again, and returned as a :class:`ManifestSet`.
"""

import os
import shutil
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kfwizard.engine.errors import BadInput, Refused, StepFailed
from kfwizard.manifests import analysis, catalog, patches
from kfwizard.manifests.fetch import (
    RawPart,
    download_tree,
    kustomize_root,
    render_tree,
    rendered_parts,
)
from kfwizard.manifests.manifest_set import ManifestSet, Part, assemble
from kfwizard.manifests.modes import KFP_GCP, KUBEFLOW, MODES
from kfwizard.manifests.objects import DEFAULT_MAX_BYTES, Manifest, parse_text
from kfwizard.manifests.rendered import load_rendered, write_rendered
from kfwizard.manifests.secret_inputs import CLOUDSQL_PASSWORD_ENV

Log = Callable[[str], None]

__all__ = ["ManifestSet", "Part", "describe_source", "load_manifests", "load_rendered"]


def _apply_patches(
    raws: list[RawPart], mode: str, env: str, selection: Mapping[str, Any], log: Log
) -> tuple[list[RawPart], list[dict[str, str]]]:
    secrets: list[dict[str, str]] = []
    if mode == KFP_GCP:
        gcp = dict(selection.get("gcp") or {})
        problems = catalog.gcp_input_problems(gcp)
        if problems:
            field_name, rule, value = problems[0]
            raise BadInput(field_name, rule, value)
        connection = str(gcp["cloudsql_instance"]).strip()
        project = str(selection.get("project") or connection.split(":")[-3])
        db_user = str(gcp.get("db_user") or "root")
        for raw in raws:
            if "pipeline-install-config" in raw.text:
                raw.text = patches.fill_gcp_params(
                    raw.text,
                    bucket=str(gcp["bucket"]).strip(),
                    project=project,
                    cloudsql_instance=connection,
                    db_user=db_user,
                )
        log(
            f"Filled in bucket {gcp['bucket']}, Cloud SQL instance {connection}, user {db_user}; "
            "the password is asked at apply time (or read from "
            f"{CLOUDSQL_PASSWORD_ENV}) and written only into Secret mysql-secret."
        )
        secrets.append(
            {
                "namespace": "kubeflow",
                "name": "mysql-secret",
                "key": "password",
                "prompt": f"Cloud SQL password for user {db_user}",
                "env": CLOUDSQL_PASSWORD_ENV,
            }
        )
    if mode == KUBEFLOW and env == "gke":
        changed = 0
        for raw in raws:
            raw.text, n = patches.gke_istio_cni(raw.text)
            changed += n
        log(
            "Applied Istio's GKE overlay: istio-cni-node installs into /home/kubernetes/bin."
            if changed
            else "No istio-cni-node with /opt/cni/bin found; nothing to change for GKE."
        )
    return raws, secrets


def _check_versions(mode: str, version: str, objects: list[Manifest], log: Log) -> None:
    found = analysis.detect_versions(objects)
    app, tag = found["app_version"], found["api_server_tag"]
    if mode == KUBEFLOW:
        release = catalog.kubeflow_release(version)
        expected = release.kfp_version if release else None
        if expected and app and app.lstrip("v") != expected:
            raise StepFailed(
                f"The manifests contain KFP {app}, but Kubeflow {version} ships KFP {expected}.",
                action=f"point deployment.manifests at the {version} "
                "render, or select the release these manifests come from",
            )
        return
    master = sorted(
        {
            i
            for i in analysis.images(objects)
            if analysis.image_tag(i) == "master"
            and i.startswith(("ghcr.io/kubeflow/kfp-", "gcr.io/ml-pipeline/"))
        }
    )
    if master:
        raise Refused(
            f"These manifests run KFP images pinned to the mutable `:master` tag ({master[0]}"
            f"{' …' if len(master) > 1 else ''}), not the {version} release "
            "(rule dev-master-images: env/dev does this since 2.14).",
            action="use env platform-agnostic, or manifests with release image tags",
            details=tuple(master),
        )
    if app and app.lstrip("v") != version:
        raise StepFailed(
            f"The manifests are KFP {app}, but version {version} was selected.",
            action=f"select version {app}, or point deployment.manifests at the "
            f"{version} manifests",
        )
    if tag and tag.lstrip("v") != version:
        raise StepFailed(
            f"The manifests run the ml-pipeline image tag {tag}, but version {version} "
            "was selected.",
            action=f"select version {tag}, or use the {version} manifests",
        )
    if not app and not tag:
        log(
            "Warning: no pipeline-install-config or ml-pipeline image found; the KFP version "
            "in these manifests could not be checked."
        )


def describe_source(selection: Mapping[str, Any]) -> str:
    """``archive``, ``tree`` or ``rendered``: what kind of source a selection names."""
    manifests = selection.get("manifests")
    if not manifests:
        return "archive"
    path = Path(str(manifests)).expanduser()
    mode = str(selection.get("mode") or "kfp-standalone")
    return "tree" if kustomize_root(path, mode) is not None else "rendered"


def _read_source(
    selection: Mapping[str, Any],
    mode: str,
    version: str,
    env_name: str,
    cache_dir: Path,
    *,
    log: Log,
    cancel: threading.Event | None,
    env: Mapping[str, str] | None,
    max_bytes: int,
    releases_url: str | None,
) -> tuple[list[RawPart], str, list[dict[str, str]]]:
    """The YAML texts, a description of where they came from, and the tools used."""
    tool_facts: list[dict[str, str]] = []
    manifests = selection.get("manifests")
    work = cache_dir / "tmp" / f"render-{os.getpid()}-{threading.get_ident()}"

    def render(tree: Path) -> list[RawPart]:
        return render_tree(
            tree,
            mode,
            version,
            env_name,
            work,
            log=log,
            cancel=cancel,
            env_vars=env,
            max_bytes=max_bytes,
            tool_facts=tool_facts,
        )

    try:
        if not manifests:
            tree, source = download_tree(
                mode,
                version,
                cache_dir,
                log=log,
                cancel=cancel,
                env_vars=env,
                releases_url=releases_url,
            )
            return render(tree), source, tool_facts
        path = Path(str(manifests)).expanduser()
        if not path.exists():
            raise BadInput("deployment.manifests", "does not exist", str(path))
        root = kustomize_root(path, mode)
        if root is not None:
            log(f"Rendering the kustomize tree {root}.")
            return render(root), f"kustomize tree {root}", tool_facts
        raws = rendered_parts(path, mode, env_name, max_bytes)
        log(f"Reading rendered YAML: {', '.join(Path(r.origin).name for r in raws)}.")
        tool_facts.append(
            {
                "name": "kustomize",
                "state": "pass",
                "message": "Rendered YAML was given; nothing to render.",
            }
        )
        return raws, f"rendered YAML {path}", tool_facts
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_manifests(
    selection: Mapping[str, Any],
    cache_dir: Path,
    log: Log,
    cancel: threading.Event | None = None,
    *,
    env: Mapping[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    releases_url: str | None = None,
) -> ManifestSet:
    """Fetch or read, render, patch, check, write to the cache and tier the manifests
    that ``selection`` (the answers file's ``deployment`` part) names."""
    mode = str(selection.get("mode") or "kfp-standalone")
    if mode not in MODES:
        raise BadInput("deployment.mode", f"must be one of {', '.join(MODES)}", mode)
    version = catalog.normalise_version(mode, selection.get("version"))
    env_name, note = catalog.effective_env(mode, version, selection.get("env"))
    if note:
        log(f"Note: {note.message()}")
    cache_dir = Path(cache_dir)
    raws, source, tool_facts = _read_source(
        selection,
        mode,
        version,
        env_name,
        cache_dir,
        log=log,
        cancel=cancel,
        env=env,
        max_bytes=max_bytes,
        releases_url=releases_url,
    )
    raws, secret_inputs = _apply_patches(raws, mode, env_name, selection, log)
    per_part = [parse_text(raw.text, raw.origin) for raw in raws]
    objects = [m for part in per_part for m in part]
    if not objects:
        raise StepFailed(
            f"The manifests from {source} contain no objects.", action="check deployment.manifests"
        )
    _check_versions(mode, version, objects, log)
    folder, written = write_rendered(cache_dir, mode, version, env_name, source, raws)
    parts = []
    for (name, sha), raw, found in zip(written, raws, per_part, strict=True):
        for m in found:
            m.source = str(folder / name)
        parts.append(Part(raw.name, folder / name, sha, len(found), raw.origin))
    result = assemble(mode, version, env_name, source, parts, objects, folder, secret_inputs)
    result.tools = tool_facts
    return result
