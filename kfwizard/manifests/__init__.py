"""Which manifests to install, and in what order: the catalog of modes and versions,
fetching and rendering, validation, and the tiers the applier follows.

The kube layer calls :func:`load_rendered` with the ``manifests`` step's outputs and
applies ``ManifestSet.tiers`` one by one (each :class:`Tier` has ``objects`` of
:class:`Manifest`, ``wait_crds``, ``wait_ready`` and ``webhooks``).
"""

from __future__ import annotations

from kfwizard.manifests.catalog import Advisory, Refusal, advisories, explain, refusals
from kfwizard.manifests.objects import Manifest, ManifestError, parse_file, parse_text
from kfwizard.manifests.sources import ManifestSet, Part, load_manifests, load_rendered
from kfwizard.manifests.tiers import Tier, WebhookRef, WorkloadRef, build_tiers

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
    "explain",
    "load_manifests",
    "load_rendered",
    "parse_file",
    "parse_text",
    "refusals",
]
