"""The rendered cache: parts written once per content hash under
``<cache>/rendered/<mode>-<version>-<env>-<hash>/NN-<part>.yaml``, and read back (sha256
checked) by the steps that apply them, so an apply sends exactly what the plan showed.

The parts are the user's manifests, Secrets included, so the folders are 0700 and the
files 0600, like sessions and logs."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kfwizard.engine.errors import StepFailed
from kfwizard.manifests import archive
from kfwizard.manifests.fetch import RawPart
from kfwizard.manifests.manifest_set import ManifestSet, Part, assemble
from kfwizard.manifests.objects import DEFAULT_MAX_BYTES, Manifest, parse_file
from kfwizard.paths import ensure_private_dir

INDEX_FILE = "index.json"


def _content_hash(raws: list[RawPart]) -> str:
    digest = hashlib.sha256()
    for raw in raws:
        digest.update(raw.name.encode() + b"\0" + raw.text.encode() + b"\0")
    return digest.hexdigest()[:12]


def write_rendered(
    cache_dir: Path, mode: str, version: str, env: str, source: str, raws: list[RawPart]
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
    ensure_private_dir(final.parent)
    if (final / INDEX_FILE).is_file():
        try:
            existing = json.loads((final / INDEX_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            existing = {}
        if existing.get("sha256") == index["sha256"] and all((final / n).is_file() for n in names):
            _make_private(final)  # written by an older kfwizard, world-readable
            return final, list(zip(names, hashes, strict=True))
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(mode=0o700)
    for name, raw in zip(names, raws, strict=True):
        _write_private(tmp / name, raw.text)
    _write_private(tmp / INDEX_FILE, json.dumps(index, indent=2) + "\n")
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    return final, list(zip(names, hashes, strict=True))


def _write_private(path: Path, text: str) -> None:
    """Rendered manifests hold the user's Secrets: readable by the owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _make_private(folder: Path) -> None:
    """Tighten a cached folder kept from before the cache was private (0700 / 0600)."""
    with contextlib.suppress(OSError):
        folder.chmod(0o700)
        for item in folder.iterdir():
            item.chmod(0o600)


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
