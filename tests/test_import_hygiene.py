"""Start-up stays light: the engine never imports Textual, and the instant commands
import neither Textual, google nor kubernetes."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import kfwizard.engine

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("textual", "google", "kubernetes")


def _imported_by(argv: list[str]) -> set[str]:
    """Top-level packages a fresh interpreter imports to run ``kfwizard ARGV``."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            f"import sys; from kfwizard.cli import main; raise SystemExit(main({argv!r}))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            module = line.rsplit("|", 1)[1].strip()
            names.add(module.split(".")[0])
    return names


@pytest.mark.parametrize("argv", [["--version"], ["--where"], ["sessions"], ["sessions", "--json"]])
def test_instant_commands_import_nothing_heavy(argv: list[str]) -> None:
    imported = _imported_by(argv)
    assert not imported & set(HEAVY), f"{argv} imported {sorted(imported & set(HEAVY))}"


def test_engine_never_imports_textual() -> None:
    modules = [m.name for m in pkgutil.walk_packages(kfwizard.engine.__path__, "kfwizard.engine.")]
    modules += ["kfwizard.session", "kfwizard.answers", "kfwizard.headless", "kfwizard.paths"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "", f"engine pulled in Textual: {proc.stdout.strip()[:200]}"


def test_no_shell_true_anywhere() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "kfwizard").rglob("*.py")
        if "shell=True" in path.read_text(encoding="utf-8")
    ]
    assert offenders == [], f"shell=True found in {offenders}: user text must never reach a shell"
