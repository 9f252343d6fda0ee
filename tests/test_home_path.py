"""``KFWIZARD_HOME`` given as a relative path or with ``~``.

The paths built from it are stored (sessions, rendered manifests) and exported (the
demo's env.sh ``KUBECONFIG``), then read from other folders: a relative home doubled
itself ("rel/cache/rendered/…/rel/cache/rendered/…") and every install failed at
preflight, after the cluster was created.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kfwizard import paths
from tests.conftest import PROJECT_ROOT


def test_a_relative_home_is_made_absolute_and_a_demo_run_finishes(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "KFWIZARD_HOME": "rel", "NO_GCE_CHECK": "true"}
    answers = PROJECT_ROOT / "examples" / "demo.yaml"
    argv = [sys.executable, "-m", "kfwizard", "--demo", "run", "--answers", str(answers)]
    result = subprocess.run(
        [*argv, "--yes", "--speed", "0.05"],
        cwd=elsewhere,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "complete." in result.stdout
    home = elsewhere / "rel"
    env_sh = (home / "data" / "demo-emulator" / "env.sh").read_text()
    assert f"export KUBECONFIG={home}/data/demo-emulator/kubeconfig\n" in env_sh


def test_home_is_absolute_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KFWIZARD_HOME", "a/../rel")
    assert paths.sessions_dir() == tmp_path / "rel" / "state" / "sessions"
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    monkeypatch.setenv("KFWIZARD_HOME", "~/kfw")
    assert paths.where() == {
        "state": tmp_path / "me" / "kfw" / "state",
        "sessions": tmp_path / "me" / "kfw" / "state" / "sessions",
        "log": tmp_path / "me" / "kfw" / "log",
        "cache": tmp_path / "me" / "kfw" / "cache",
        "data": tmp_path / "me" / "kfw" / "data",
        "config": tmp_path / "me" / "kfw" / "config",
    }
