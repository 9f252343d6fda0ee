"""Which manifests to install, and in what order: the catalog of modes and versions,
fetching and rendering, validation, and the tiers the applier follows.

The kube layer calls :func:`load_rendered` with the ``manifests`` step's outputs and
applies ``ManifestSet.tiers`` one by one (each :class:`Tier` has ``objects`` of
:class:`Manifest`, ``wait_crds``, ``wait_ready`` and ``webhooks``).

The names below are imported on first use (PEP 562), not with the package: importing
any submodule runs this file first, and the eager version pulled in the parser, YAML,
the fetcher and ``http.client`` (about 90 ms) for callers that only wanted a small
table such as ``modes.SERVICES`` (the wizard's first screen lists its commands that
way).

``explain`` is not re-exported: it is also the name of a submodule, and Python binds a
loaded submodule on its package, so the attribute would change meaning with import
order. ``catalog.explain`` is the function.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kfwizard.manifests.catalog import Advisory, Refusal, advisories, refusals
    from kfwizard.manifests.objects import Manifest, ManifestError, parse_file, parse_text
    from kfwizard.manifests.sources import ManifestSet, Part, load_manifests, load_rendered
    from kfwizard.manifests.tiers import Tier, WebhookRef, WorkloadRef, build_tiers

_SOURCES: dict[str, str] = {
    "Advisory": "catalog",
    "Refusal": "catalog",
    "advisories": "catalog",
    "refusals": "catalog",
    "Manifest": "objects",
    "ManifestError": "objects",
    "parse_file": "objects",
    "parse_text": "objects",
    "ManifestSet": "sources",
    "Part": "sources",
    "load_manifests": "sources",
    "load_rendered": "sources",
    "Tier": "tiers",
    "WebhookRef": "tiers",
    "WorkloadRef": "tiers",
    "build_tiers": "tiers",
}
"""Public name -> the submodule that defines it."""

__all__ = [
    "Advisory",
    "Manifest",
    "ManifestError",
    "ManifestSet",
    "Part",
    "Refusal",
    "Tier",
    "WebhookRef",
    "WorkloadRef",
    "advisories",
    "build_tiers",
    "load_manifests",
    "load_rendered",
    "parse_file",
    "parse_text",
    "refusals",
]


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` the first time it is asked for."""
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_SOURCES})
