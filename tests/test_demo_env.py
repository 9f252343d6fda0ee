"""The demo's ``env.sh``: sourced in another terminal, the commands the screens show
(gcloud, kubectl) reach the running demo's emulators, not the user's account."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kfwizard.demo import shell_env_path, start_demo


def sourced(env_file: Path, command: str, home: Path) -> subprocess.CompletedProcess[str]:
    """``command`` in a POSIX shell that sourced ``env_file``, with nothing of this
    machine's gcloud or kubectl set-up (a bare environment, its own home)."""
    bare = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "NO_GCE_CHECK": "true"}
    return subprocess.run(
        ["sh", "-c", f". {env_file} && {command}"],
        env=bare,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_env_sh_holds_the_running_demos_addresses_and_its_own_gcloud_folder(
    tmp_path: Path,
) -> None:
    handle = start_demo(speed=0)
    try:
        env_file = shell_env_path()
        shell = sourced(env_file, "env", tmp_path)
        assert shell.returncode == 0, shell.stderr
        seen = dict(line.split("=", 1) for line in shell.stdout.splitlines() if "=" in line)
        for name, value in handle.env.items():
            if name != "NO_GCE_CHECK":
                assert seen.get(name) == value, name
        assert seen["CLOUDSDK_CONFIG"] == str(env_file.parent / "gcloud")
        if shutil.which("gcloud") is None:
            pytest.skip("gcloud is not on PATH: the file was checked, not used")
        handle.stack.add_cluster("kf-one")
        listed = sourced(
            env_file, "gcloud container clusters list --format='value(name)'", tmp_path
        )
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.split() == ["kf-one"]
    finally:
        handle.stop()
