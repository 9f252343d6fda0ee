"""A small KFP-shaped manifest set for ``kfwizard --demo``, written for the demo.

It has the shape of KFP 2.17.0 (``cluster-scoped-resources.yaml`` and
``env-platform-agnostic.yaml`` / ``env-dev.yaml``, the same 14 Deployment names and
images) but far fewer objects, so the demo's emulated cluster applies it in seconds.
"""

from __future__ import annotations

from pathlib import Path


def demo_manifests_dir() -> Path:
    """The folder holding the demo's rendered YAML (usable as ``deployment.manifests``)."""
    return Path(__file__).resolve().parent


def is_demo_manifests(chosen: object) -> bool:
    """``deployment.manifests`` names the demo's built-in set."""
    return bool(chosen) and Path(str(chosen)).resolve() == demo_manifests_dir()
