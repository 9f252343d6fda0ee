"""Multi-document YAML in, validated :class:`Manifest` objects out.

Everything downstream (tiers, the applier, teardown's inventory) trusts that an object
has an apiVersion, a kind and a name, and that no object appears twice. So the parser
refuses anything else up front, naming the file, the document and the rule, instead of
letting a half-applied install discover it (design.md: errors "at initialisation").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from kfwizard.engine.errors import StepFailed
from kfwizard.manifests.kinds import BUILTIN_GROUPS, CLUSTER_SCOPED

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
"""Refuse bigger files unread; the full Kubeflow render is 11.9 MB."""

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's C parser when PyYAML was built with it: about 10x faster on 12 MB."""


class ManifestError(StepFailed):
    """Malformed manifests: names the file, the document (1-based) and the broken rule."""

    def __init__(
        self,
        source: str,
        index: int | None,
        rule: str,
        *,
        line: int | None = None,
        detail: str | None = None,
    ) -> None:
        where = str(source)
        if index is not None:
            where += f", document {index + 1}"
        if line is not None:
            where += f", line {line}"
        cause = f"{where}: {rule}" + (f" ({detail})" if detail else "")
        super().__init__(cause, action="fix or re-render the manifests, then run again")
        self.source = str(source)
        self.index = index
        self.rule = rule
        self.line = line


class Manifest:
    """One Kubernetes object from a file: the dict plus where it came from."""

    __slots__ = ("index", "obj", "source")

    def __init__(self, obj: dict[str, Any], source: str, index: int) -> None:
        self.obj = obj
        self.source = source
        self.index = index
        """0-based position of the YAML document in ``source``."""

    # -- identity -------------------------------------------------------------------
    @property
    def api_version(self) -> str:
        return str(self.obj["apiVersion"])

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def namespace(self) -> str:
        """``metadata.namespace`` as written ("" when absent); see :meth:`is_namespaced`."""
        return str(self.obj["metadata"].get("namespace") or "")

    @property
    def labels(self) -> Mapping[str, str]:
        labels = self.obj["metadata"].get("labels")
        return labels if isinstance(labels, dict) else {}

    @property
    def group(self) -> str:
        """The API group: ``apps`` for ``apps/v1``, ``""`` for the core ``v1``."""
        return self.api_version.rpartition("/")[0]

    @property
    def ref(self) -> dict[str, str]:
        """``{apiVersion, kind, namespace, name}`` as written (the inventory's shape)."""
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }

    def scoped_ref(self, namespaced: bool) -> dict[str, str]:
        """:attr:`ref` with the namespace dropped for cluster-scoped objects."""
        ref = self.ref
        if not namespaced:
            ref["namespace"] = ""
        return ref

    # -- scope ------------------------------------------------------------------------
    @property
    def is_crd(self) -> bool:
        return self.kind == "CustomResourceDefinition" and self.group == "apiextensions.k8s.io"

    @property
    def is_custom_resource(self) -> bool:
        """An object of a kind that some CRD (not Kubernetes itself) defines."""
        return self.group not in BUILTIN_GROUPS

    def is_namespaced(
        self,
        known_cluster_scoped_kinds: Iterable[tuple[str, str]] = CLUSTER_SCOPED,
        crd_scopes: Mapping[tuple[str, str], str] | None = None,
    ) -> bool:
        """The real scope: built-in table, then the CRDs' ``spec.scope``, then (for kinds
        nobody here defines) whether a namespace is written."""
        key = (self.group, self.kind)
        if key in known_cluster_scoped_kinds:
            return False
        if crd_scopes and key in crd_scopes:
            return crd_scopes[key] == "Namespaced"
        if self.group in BUILTIN_GROUPS:
            return True
        return bool(self.namespace)

    def key(self, namespaced: bool) -> tuple[str, str, str, str]:
        """Identity for duplicate checks: group, kind, namespace (if namespaced), name."""
        return (self.group, self.kind, self.namespace if namespaced else "", self.name)

    # -- CRD helpers -------------------------------------------------------------------
    def crd_names(self) -> tuple[str, str, str]:
        """``(group, kind, scope)`` a CRD defines."""
        spec = self.obj.get("spec") or {}
        names = spec.get("names") or {}
        return (
            str(spec.get("group", "")),
            str(names.get("kind", "")),
            str(spec.get("scope", "Namespaced")),
        )

    def where(self) -> str:
        return f"{self.source}, document {self.index + 1}"

    def __repr__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"<Manifest {self.kind} {ns}{self.name} ({self.where()})>"


def crd_scopes(manifests: Iterable[Manifest]) -> dict[tuple[str, str], str]:
    """(group, kind) -> ``Namespaced``/``Cluster`` for every CRD in ``manifests``."""
    scopes: dict[tuple[str, str], str] = {}
    for m in manifests:
        if m.is_crd:
            group, kind, scope = m.crd_names()
            scopes[(group, kind)] = scope
    return scopes


# -- parsing -------------------------------------------------------------------------


def _documents(text: str, source: str) -> Iterator[tuple[int, Any]]:
    index = 0
    stream = yaml.load_all(text, Loader=_LOADER)
    while True:
        try:
            doc = next(stream)
        except StopIteration:
            return
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            raise ManifestError(
                source,
                index,
                "invalid YAML",
                line=line,
                detail=str(exc.problem or exc.context or "").strip() or None,
            ) from None
        except yaml.YAMLError as exc:
            raise ManifestError(source, index, "invalid YAML", detail=str(exc)[:200]) from None
        except RecursionError:
            raise ManifestError(source, index, "invalid YAML", detail="nested too deeply") from None
        except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
            raise ManifestError(
                source, index, "invalid YAML value", detail=str(exc)[:200]
            ) from None
        yield index, doc
        index += 1


def _type_name(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__


def _check(doc: Any, source: str, index: int, item: int | None = None) -> dict[str, Any]:
    def fail(rule: str) -> ManifestError:
        return ManifestError(
            source, index, rule if item is None else f"List item {item + 1}: {rule}"
        )

    if not isinstance(doc, dict):
        raise fail(f"document is not a mapping (got {_type_name(doc)})")
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if not isinstance(api_version, str) or not api_version.strip():
        raise fail("missing apiVersion")
    if not isinstance(kind, str) or not kind.strip():
        raise fail("missing kind")
    meta = doc.get("metadata")
    if not isinstance(meta, dict):
        raise fail("missing metadata")
    name = meta.get("name")
    if name is None or name == "":
        raise fail("missing metadata.name")
    if not isinstance(name, str):
        raise fail("metadata.name must be text")
    namespace = meta.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise fail("metadata.namespace must be text")
    return doc


def parse_text(text: str | bytes, source: str = "<text>") -> list[Manifest]:
    """Every object in a multi-document YAML text; empty documents are skipped and
    ``kind: List`` documents are expanded into their items."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ManifestError(
                source, None, "not UTF-8 text", detail=f"byte {exc.start}"
            ) from None
    found: list[Manifest] = []
    for index, doc in _documents(text, source):
        if doc is None:
            continue
        if (
            isinstance(doc, dict)
            and doc.get("kind") == "List"
            and isinstance(doc.get("items"), list)
        ):
            for n, item in enumerate(doc["items"]):
                found.append(Manifest(_check(item, source, index, n), source, index))
            continue
        found.append(Manifest(_check(doc, source, index), source, index))
    return found


def parse_file(path: Path | str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Manifest]:
    """:func:`parse_text` of a file, refusing files over ``max_bytes`` without reading them."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ManifestError(
            str(path), None, f"cannot read the file: {exc.strerror or exc}"
        ) from None
    if not path.is_file():
        raise ManifestError(str(path), None, "is not a regular file")
    if size > max_bytes:
        raise ManifestError(
            str(path), None, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit"
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ManifestError(
            str(path), None, f"cannot read the file: {exc.strerror or exc}"
        ) from None
    if len(data) > max_bytes:
        raise ManifestError(str(path), None, f"file grew over the {max_bytes:,}-byte limit")
    return parse_text(data, str(path))


def check_duplicates(
    manifests: Iterable[Manifest], scopes: Mapping[tuple[str, str], str] | None = None
) -> None:
    """Refuse two objects with the same group, kind, namespace and name.

    The namespace counts only for namespaced kinds, so a cluster-scoped object written
    once with and once without a stray namespace is still a duplicate.
    """
    seen: dict[tuple[str, str, str, str], Manifest] = {}
    for m in manifests:
        key = m.key(m.is_namespaced(CLUSTER_SCOPED, scopes))
        first = seen.get(key)
        if first is not None:
            ns = f"{key[2]}/" if key[2] else ""
            raise ManifestError(
                m.source,
                m.index,
                f"duplicate object {m.kind} {ns}{m.name}",
                detail=f"already in {first.where()}",
            )
        seen[key] = m


def parse_files(paths: Iterable[Path | str], max_bytes: int = DEFAULT_MAX_BYTES) -> list[Manifest]:
    """All objects of ``paths`` in order, checked for duplicates across the files."""
    found: list[Manifest] = []
    for path in paths:
        found.extend(parse_file(path, max_bytes))
    check_duplicates(found, crd_scopes(found))
    return found
