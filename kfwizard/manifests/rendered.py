"""The rendered cache: parts written once per content hash under
``<cache>/rendered/<mode>-<version>-<env>-<hash>/NN-<part>.yaml``, and read back (sha256
checked) by the steps that apply them, so an apply sends exactly what the plan showed."""

from __future__ import annotations

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
