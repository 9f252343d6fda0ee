"""The shape every source ends in: the parsed objects with their tiers and the facts
read off them (requests, images, versions, PVCs, a time estimate)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kfwizard.manifests import analysis
from kfwizard.manifests.kinds import CLUSTER_SCOPED
from kfwizard.manifests.objects import Manifest, check_duplicates, crd_scopes
from kfwizard.manifests.tiers import Tier, build_tiers


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
    tools: list[dict[str, str]] = field(default_factory=list)
    """``{name, state, message}`` about the local tools the render used (for preflight)."""
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
    def external_kinds(self) -> list[str]:
        """``group/kind`` of custom resources whose CRD is not in this set (cert-manager's
        Certificate in the KFP k8s-native variant): the cluster must already serve them."""
        return sorted(
            {
                f"{m.group}/{m.kind}"
                for m in self.objects
                if m.is_custom_resource and (m.group, m.kind) not in self.scopes
            }
        )

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
            "external_kinds": self.external_kinds,
            "requests": self.requests.as_dict(),
            "pvcs": self.pvcs,
            "image_versions": self.image_versions,
            "images": len(self.images),
            "time_estimate_seconds": self.time_estimate_seconds,
            "rendered_dir": str(self.rendered_dir) if self.rendered_dir else None,
            "files": self.files,
        }


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
