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

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kfwizard.engine.errors import BadInput, Refused, StepFailed
from kfwizard.manifests import analysis, archive, catalog, patches, tools
from kfwizard.manifests.kinds import CLUSTER_SCOPED
from kfwizard.manifests.modes import KFP_GCP, KUBEFLOW, MODES
from kfwizard.manifests.objects import (
    DEFAULT_MAX_BYTES,
    Manifest,
    ManifestError,
    check_duplicates,
    crd_scopes,
    parse_file,
    parse_text,
)
from kfwizard.manifests.tiers import Tier, build_tiers

Log = Callable[[str], None]
INDEX_FILE = "index.json"


@dataclass
class Part:
    """One rendered file, in apply order (cluster-scoped first)."""

    name: str
    path: Path
    sha256: str
    objects: int
    origin: str


@dataclass
class ManifestSet:
    """Everything the later steps need to know about what will be applied."""

    mode: str
    version: str
    env: str
    source: str
    parts: list[Part]
    objects: list[Manifest]
    tiers: list[Tier]
    scopes: dict[tuple[str, str], str]
    rendered_dir: Path | None
    requests: analysis.Requests
    image_versions: dict[str, str | None]
    images: list[str]
    pvcs: list[dict[str, Any]]
    time_estimate_seconds: int
    secret_inputs: list[dict[str, str]] = field(default_factory=list)
    """Values asked at apply time and written only into Secrets (kfp-gcp's password)."""

    @property
    def crds(self) -> list[str]:
        return [m.name for m in self.objects if m.is_crd]

    @property
    def counts_by_kind(self) -> dict[str, int]:
        return dict(sorted(Counter(m.kind for m in self.objects).items()))

    @property
    def counts_by_tier(self) -> dict[str, int]:
        return {t.name: len(t.objects) for t in self.tiers}

    @property
    def namespaces(self) -> list[str]:
        """Namespaces these manifests create."""
        return sorted(m.name for m in self.objects if m.kind == "Namespace" and m.group == "")

    @property
    def namespaces_used(self) -> list[str]:
        """Namespaces namespaced objects live in (may include ones not created, kube-system)."""
        return sorted(
            {
                m.namespace
                for m in self.objects
                if m.namespace and m.is_namespaced(CLUSTER_SCOPED, self.scopes)
            }
        )

    @property
    def has_pvcs(self) -> bool:
        return bool(self.pvcs)

    @property
    def files(self) -> list[str]:
        return [str(p.path) for p in self.parts]

    def is_namespaced(self, m: Manifest) -> bool:
        return m.is_namespaced(CLUSTER_SCOPED, self.scopes)

    def summary(self) -> dict[str, Any]:
        """The plan as JSON-able data (the ``plan`` detail for the UI)."""
        return {
            "mode": self.mode,
            "version": self.version,
            "env": self.env,
            "source": self.source,
            "objects": len(self.objects),
            "counts_by_kind": self.counts_by_kind,
            "tiers": [t.summary() for t in self.tiers],
            "namespaces": self.namespaces,
            "namespaces_used": self.namespaces_used,
            "crds": self.crds,
            "requests": self.requests.as_dict(),
            "pvcs": self.pvcs,
            "image_versions": self.image_versions,
            "images": len(self.images),
            "time_estimate_seconds": self.time_estimate_seconds,
            "rendered_dir": str(self.rendered_dir) if self.rendered_dir else None,
            "files": self.files,
        }


# -- assembling ----------------------------------------------------------------------------


def assemble(
    mode: str,
    version: str,
    env: str,
    source: str,
    parts: list[Part],
    objects: list[Manifest],
    rendered_dir: Path | None,
    secret_inputs: list[dict[str, str]] | None = None,
) -> ManifestSet:
    """Scopes, duplicate check, tiers and the read-off facts of a parsed set."""
    scopes = crd_scopes(objects)
    check_duplicates(objects, scopes)
    tiers = build_tiers(mode, objects, scopes)
    return ManifestSet(
        mode=mode,
        version=version,
        env=env,
        source=source,
        parts=parts,
        objects=objects,
        tiers=tiers,
        scopes=scopes,
        rendered_dir=rendered_dir,
        requests=analysis.requests(objects),
        image_versions=analysis.detect_versions(objects),
        images=analysis.images(objects),
        pvcs=analysis.pvcs(objects),
        time_estimate_seconds=analysis.time_estimate(mode, tiers, len(objects)),
        secret_inputs=list(secret_inputs or []),
    )


# -- finding the source ----------------------------------------------------------------------


def _has_kustomization(folder: Path) -> bool:
    return any((folder / name).is_file() for name in tools.KUSTOMIZATION_FILES)


def kustomize_root(path: Path, mode: str) -> Path | None:
    """The KFP ``manifests/kustomize`` folder (or the kubeflow/manifests checkout) at or
    just below ``path``; None when ``path`` is not a kustomize tree."""
    if not path.is_dir():
        return None
    candidates = [path, path / "manifests" / "kustomize", path / "kustomize"]
    for child in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        candidates += [child, child / "manifests" / "kustomize"]
    for folder in candidates:
        if mode == KUBEFLOW:
            if _has_kustomization(folder / "example"):
                return folder
        elif _has_kustomization(folder / "cluster-scoped-resources"):
            return folder
    return None


def _env_file_name(env: str) -> str:
    return "env-" + env.replace("/", "-") + ".yaml"


def _read_text(path: Path, max_bytes: int) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ManifestError(
            str(path), None, f"cannot read the file: {exc.strerror or exc}"
        ) from None
    if size > max_bytes:
        raise ManifestError(
            str(path), None, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit"
        )
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(str(path), None, "not UTF-8 text", detail=f"byte {exc.start}") from None


@dataclass
class _Raw:
    name: str
    text: str
    origin: str


def _rendered_parts(path: Path, mode: str, env: str, max_bytes: int) -> list[_Raw]:
    if path.is_file():
        return [_Raw(path.stem, _read_text(path, max_bytes), str(path))]
    cluster = path / "cluster-scoped-resources.yaml"
    if mode != KUBEFLOW and cluster.is_file():
        env_file = path / _env_file_name(env)
        if not env_file.is_file():
            offered = sorted(p.name for p in path.glob("env-*.yaml"))
            raise StepFailed(
                f"{path} has cluster-scoped-resources.yaml but no {env_file.name} for env {env}.",
                action=(
                    f"pick an env these files have ({', '.join(offered)})"
                    if offered
                    else f"render env/{env} into {env_file.name}"
                ),
            )
        return [
            _Raw("cluster-scoped-resources", _read_text(cluster, max_bytes), str(cluster)),
            _Raw(env_file.stem, _read_text(env_file, max_bytes), str(env_file)),
        ]
    files = sorted(
        p
        for p in path.iterdir()
        if p.suffix in (".yaml", ".yml") and p.is_file() and not p.name.startswith(".")
    )
    if not files:
        raise StepFailed(
            f"{path} contains no .yaml files and no kustomize tree.",
            action="point deployment.manifests at rendered YAML or a kustomize tree",
        )
    return [_Raw(p.stem, _read_text(p, max_bytes), str(p)) for p in files]


def _targets(tree: Path, mode: str, env: str) -> list[tuple[str, Path]]:
    if mode == KUBEFLOW:
        return [("example", tree / "example")]
    env_dir = tree / "env" / env
    if not _has_kustomization(env_dir):
        offered = sorted(
            str(p.parent.relative_to(tree / "env"))
            for p in (tree / "env").rglob("kustomization.yaml")
        )
        raise StepFailed(
            f"The kustomize tree {tree} has no env/{env}.",
            action=f"pick one of: {', '.join(offered) or '(none found)'}",
        )
    return [
        ("cluster-scoped-resources", tree / "cluster-scoped-resources"),
        (_env_file_name(env)[:-5], env_dir),
    ]


def _render_tree(
    tree: Path,
    mode: str,
    version: str,
    env: str,
    work: Path,
    *,
    log: Log,
    cancel: threading.Event | None,
    env_vars: Mapping[str, str] | None,
    max_bytes: int,
) -> list[_Raw]:
    targets = _targets(tree, mode, env)
    renderer = tools.find_renderer(env_vars)
    log(f"Rendering with {renderer.describe()}.")
    modern = mode == KUBEFLOW or catalog.vtuple(version)[:1] >= (2,)
    if modern and renderer.major is not None and renderer.major < 5:
        log(
            f"Warning: kustomize {renderer.version} may be too old for these manifests "
            "(they use labels/replacements); kustomize 5 or newer is tested."
        )
    refs: list[str] = []
    for _, target in targets:
        refs += [r for r in tools.remote_refs(target) if r not in refs]
    if refs:
        git = tools.require_git_for(refs, env_vars)
        log(
            f"{len(refs)} remote kustomize base(s) will be fetched"
            + (f" with {git}" if git else "")
            + f": {refs[0]}"
            + (" …" if len(refs) > 1 else "")
        )
    raws = []
    for name, target in targets:
        out = work / f"{name}.yaml"
        tools.render(renderer, target, out, log=log, cancel=cancel, env=env_vars)
        raws.append(_Raw(name, _read_text(out, max_bytes), f"kustomize {target}"))
    return raws


def _download_tree(
    mode: str,
    version: str,
    cache_dir: Path,
    *,
    log: Log,
    cancel: threading.Event | None,
    env_vars: Mapping[str, str] | None,
    releases_url: str | None,
) -> tuple[Path, str]:
    if releases_url:
        url = f"{releases_url.rstrip('/')}/{version}.tar.gz"
    else:
        url = catalog.archive_url(mode, version, env_vars)
    repo = "kubeflow-manifests" if mode == KUBEFLOW else "kubeflow-pipelines"
    log(f"Fetching {url}")
    got = archive.download(
        url, cache_dir / "archives" / f"{repo}-{version}.tar.gz", log=log, cancel=cancel
    )
    extracted = archive.safe_extract(
        got.path,
        cache_dir / "src" / f"{repo}-{version}-{got.sha256[:12]}",
        under=None if mode == KUBEFLOW else "manifests",
        cancel=cancel,
    )
    tree = kustomize_root(extracted, mode)
    if tree is None:
        raise StepFailed(
            f"The archive {url} has no {'example' if mode == KUBEFLOW else 'manifests/kustomize'} "
            "kustomization.",
            action="check the version; a non-release tag may lack it",
        )
    return tree, f"release archive {url} (sha256 {got.sha256[:12]}…)"


# -- patches, checks, writing ------------------------------------------------------------------


def _apply_patches(
    raws: list[_Raw], mode: str, env: str, selection: Mapping[str, Any], log: Log
) -> tuple[list[_Raw], list[dict[str, str]]]:
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
            "the password is asked at apply time and written only into Secret mysql-secret."
        )
        secrets.append(
            {
                "namespace": "kubeflow",
                "name": "mysql-secret",
                "key": "password",
                "prompt": f"Cloud SQL password for user {db_user}",
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


def _content_hash(raws: list[_Raw]) -> str:
    digest = hashlib.sha256()
    for raw in raws:
        digest.update(raw.name.encode() + b"\0" + raw.text.encode() + b"\0")
    return digest.hexdigest()[:12]


def _write_rendered(
    cache_dir: Path, mode: str, version: str, env: str, source: str, raws: list[_Raw]
) -> tuple[Path, list[tuple[str, str]]]:
    """Write the parts (atomically, once per content hash); returns the folder and
    ``(file name, sha256)`` per part."""
    folder_name = f"{mode}-{version}-{env.replace('/', '-')}-{_content_hash(raws)}"
    final = cache_dir / "rendered" / folder_name
    names = [f"{i:02d}-{raw.name}.yaml" for i, raw in enumerate(raws)]
    hashes = [hashlib.sha256(raw.text.encode()).hexdigest() for raw in raws]
    index = {
        "mode": mode,
        "version": version,
        "env": env,
        "source": source,
        "files": names,
        "sha256": dict(zip(names, hashes, strict=True)),
    }
    if (final / INDEX_FILE).is_file():
        try:
            existing = json.loads((final / INDEX_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            existing = {}
        if existing.get("sha256") == index["sha256"] and all((final / n).is_file() for n in names):
            return final, list(zip(names, hashes, strict=True))
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, raw in zip(names, raws, strict=True):
        (tmp / name).write_text(raw.text, encoding="utf-8")
    (tmp / INDEX_FILE).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    return final, list(zip(names, hashes, strict=True))


# -- the entry points ---------------------------------------------------------------------------


def describe_source(selection: Mapping[str, Any]) -> str:
    """``archive``, ``tree`` or ``rendered``: what kind of source a selection names."""
    manifests = selection.get("manifests")
    if not manifests:
        return "archive"
    path = Path(str(manifests)).expanduser()
    mode = str(selection.get("mode") or "kfp-standalone")
    return "tree" if kustomize_root(path, mode) is not None else "rendered"


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
    manifests = selection.get("manifests")
    work = cache_dir / "tmp" / f"render-{os.getpid()}-{threading.get_ident()}"
    try:
        if manifests:
            path = Path(str(manifests)).expanduser()
            if not path.exists():
                raise BadInput("deployment.manifests", "does not exist", str(path))
            tree = kustomize_root(path, mode)
            if tree is not None:
                log(f"Rendering the kustomize tree {tree}.")
                raws = _render_tree(
                    tree,
                    mode,
                    version,
                    env_name,
                    work,
                    log=log,
                    cancel=cancel,
                    env_vars=env,
                    max_bytes=max_bytes,
                )
                source = f"kustomize tree {tree}"
            else:
                raws = _rendered_parts(path, mode, env_name, max_bytes)
                source = f"rendered YAML {path}"
                log(f"Reading rendered YAML: {', '.join(Path(r.origin).name for r in raws)}.")
        else:
            tree, source = _download_tree(
                mode,
                version,
                cache_dir,
                log=log,
                cancel=cancel,
                env_vars=env,
                releases_url=releases_url,
            )
            raws = _render_tree(
                tree,
                mode,
                version,
                env_name,
                work,
                log=log,
                cancel=cancel,
                env_vars=env,
                max_bytes=max_bytes,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    raws, secret_inputs = _apply_patches(raws, mode, env_name, selection, log)
    per_part = [parse_text(raw.text, raw.origin) for raw in raws]
    objects = [m for part in per_part for m in part]
    if not objects:
        raise StepFailed(
            f"The manifests from {source} contain no objects.", action="check deployment.manifests"
        )
    _check_versions(mode, version, objects, log)
    folder, written = _write_rendered(cache_dir, mode, version, env_name, source, raws)
    parts = []
    for (name, sha), raw, found in zip(written, raws, per_part, strict=True):
        for m in found:
            m.source = str(folder / name)
        parts.append(Part(raw.name, folder / name, sha, len(found), raw.origin))
    return assemble(mode, version, env_name, source, parts, objects, folder, secret_inputs)


def load_rendered(
    outputs: Mapping[str, Any], *, max_bytes: int = DEFAULT_MAX_BYTES, verify: bool = True
) -> ManifestSet:
    """Re-read what a finished ``manifests`` step wrote (its ``outputs``), re-tiered.

    With ``verify`` each file's sha256 must still match the one recorded, so an apply
    never sends something other than what the plan showed.
    """
    folder = Path(str(outputs.get("rendered_dir") or ""))
    files = [Path(str(f)) for f in outputs.get("files") or []]
    if not outputs.get("rendered_dir") or not files:
        raise StepFailed(
            "The manifests step has not recorded rendered files yet.",
            action="run the manifests step (mode phase) first",
        )
    hashes: Mapping[str, str] = outputs.get("hashes") or {}
    parts = []
    objects: list[Manifest] = []
    for path in files:
        path = path if path.is_absolute() else folder / path
        if not path.is_file():
            raise StepFailed(
                f"The rendered file {path} is missing (the cache was cleaned?).",
                action="run again: the manifests step renders it anew",
            )
        recorded = hashes.get(path.name)
        sha = archive.sha256_file(path)
        if verify and recorded and recorded != sha:
            raise StepFailed(
                f"The rendered file {path} changed since the plan was made.",
                action="run again: the manifests step renders it anew",
            )
        found = parse_file(path, max_bytes)
        objects.extend(found)
        name = path.stem.split("-", 1)[1] if path.stem[:2].isdigit() else path.stem
        parts.append(Part(name, path, sha, len(found), str(outputs.get("source", ""))))
    mode = str(outputs.get("mode") or "kfp-standalone")
    return assemble(
        mode,
        str(outputs.get("version") or ""),
        str(outputs.get("env") or ""),
        str(outputs.get("source") or ""),
        parts,
        objects,
        folder,
        list(outputs.get("secret_inputs") or []),
    )
