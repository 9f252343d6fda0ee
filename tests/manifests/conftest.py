"""Shared fixtures for the manifests tests: the shared rendered fixtures, parsed once."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest

from kfwizard.manifests.objects import Manifest, parse_file, parse_files

FIXTURES = (Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures").resolve()
KFP = FIXTURES / "kfp"
KFP_TREE = FIXTURES / "kfp-kustomize" / "1.8.5"
KUBEFLOW = FIXTURES / "kubeflow" / "26.03"


def need_fixtures() -> None:
    if not KFP.is_dir() or not KUBEFLOW.is_dir():
        pytest.skip(f"shared fixtures not found next to the project ({FIXTURES})")


def kfp_set(version: str, env: str) -> list[Manifest]:
    """cluster-scoped-resources + env-<env> of a rendered KFP fixture (parsed once; the
    objects are shared, so tests must not change them)."""
    need_fixtures()
    return list(_kfp_set(version, env))


@cache
def _kfp_set(version: str, env: str) -> tuple[Manifest, ...]:
    folder = KFP / version
    files = [folder / "cluster-scoped-resources.yaml", folder / f"env-{env}.yaml"]
    return tuple(parse_files(files))


def have_renderer() -> bool:
    return bool(shutil.which("kubectl") or shutil.which("kustomize"))


@pytest.fixture(scope="session")
def kubeflow_objects() -> list[Manifest]:
    """The 675 objects of the Kubeflow 26.03 ``example`` render (parsed once, ~2 s)."""
    need_fixtures()
    return parse_file(KUBEFLOW / "example.yaml")
