"""Getting the YAML texts from a source: a folder or file of rendered YAML, a kustomize
tree (rendered with the local tools), or the release archive (downloaded, extracted,
rendered)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kfwizard.engine.errors import StepFailed
from kfwizard.manifests import archive, catalog, tools
from kfwizard.manifests.modes import KUBEFLOW
from kfwizard.manifests.objects import ManifestError
from kfwizard.wording import plural

Log = Callable[[str], None]


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


def read_text(path: Path, max_bytes: int) -> str:
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
class RawPart:
    name: str
    text: str
    origin: str


def rendered_parts(path: Path, mode: str, env: str, max_bytes: int) -> list[RawPart]:
    if path.is_file():
        return [RawPart(path.stem, read_text(path, max_bytes), str(path))]
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
            RawPart("cluster-scoped-resources", read_text(cluster, max_bytes), str(cluster)),
            RawPart(env_file.stem, read_text(env_file, max_bytes), str(env_file)),
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
    return [RawPart(p.stem, read_text(p, max_bytes), str(p)) for p in files]


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


def render_tree(
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
    tool_facts: list[dict[str, str]] | None = None,
) -> list[RawPart]:
    """Render the mode's targets of ``tree``; ``tool_facts`` collects ``{name, state,
    message}`` rows about the tools used (preflight re-reports them)."""
    facts = tool_facts if tool_facts is not None else []
    targets = _targets(tree, mode, env)
    renderer = tools.find_renderer(env_vars)
    log(f"Rendering with {renderer.describe()}.")
    modern = mode == KUBEFLOW or catalog.vtuple(version)[:1] >= (2,)
    if modern and renderer.major is not None and renderer.major < 5:
        message = (
            f"kustomize {renderer.version} may be too old for these manifests "
            "(they use labels/replacements); kustomize 5 or newer is tested."
        )
        log(f"Warning: {message}")
        facts.append({"name": "kustomize", "state": "warn", "message": message})
    else:
        facts.append(
            {
                "name": "kustomize",
                "state": "pass",
                "message": f"Rendered with {renderer.describe()}.",
            }
        )
    refs: list[str] = []
    for _, target in targets:
        refs += [r for r in tools.remote_refs(target) if r not in refs]
    if refs:
        git = tools.require_git_for(refs, env_vars)
        log(
            f"{plural(len(refs), 'remote kustomize base')} will be fetched"
            + (f" with {git}" if git else "")
            + f": {refs[0]}"
            + (" …" if len(refs) > 1 else "")
        )
        facts.append(
            {
                "name": "git",
                "state": "pass",
                "message": f"{plural(len(refs), 'remote base')} fetched"
                + (f" with {git}." if git else " over HTTPS."),
            }
        )
    raws = []
    for name, target in targets:
        out = work / f"{name}.yaml"
        tools.render(renderer, target, out, log=log, cancel=cancel, env=env_vars)
        raws.append(RawPart(name, read_text(out, max_bytes), f"kustomize {target}"))
    return raws


def download_tree(
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
