"""The quick start holds: the demo runs headless in time, and `kfwizard --demo` opens on
the Project step with the demo banner.

The issue's acceptance: `kfwizard run --demo --answers examples/demo.yaml` exits 0 in
under 90 s at the demo's default pace. The pace is about 30 s on an idle machine, so
the bound leaves room for a loaded CI runner; a run that nears it is a regression in
the demo's pace, not noise.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from kfwizard.demo import DEMO_PROJECT
from kfwizard.screens.project import ProjectScreen

ROOT = Path(__file__).resolve().parents[2]
ACCEPTANCE_SECONDS = 90.0
"""The issue's bound for the headless demo at the default speed."""


def test_headless_demo_exits_0_within_the_acceptance_bound(kfwizard_home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KFWIZARD_DEMO_SPEED"}  # default pace
    command = [sys.executable, "-m", "kfwizard", "run", "--demo", "--answers"]
    started = time.monotonic()
    done = subprocess.run(
        [*command, str(ROOT / "examples" / "demo.yaml")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=ACCEPTANCE_SECONDS + 30,
    )
    elapsed = time.monotonic() - started
    print(f"headless demo: exit {done.returncode} in {elapsed:.1f} s")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "complete" in done.stdout
    # The demo's small set requests less than the release the cluster was sized for;
    # the log says so where the two figures meet.
    [sized] = [line for line in done.stdout.splitlines() if "kfp-standalone needs at least" in line]
    [requests] = [line for line in done.stdout.splitlines() if "[manifests] Requests:" in line]
    assert "These are the demo's small set; the real release requests about 0.67 vCPU" in requests
    assert "0.7 CPU" in sized
    assert elapsed < ACCEPTANCE_SECONDS, f"took {elapsed:.1f} s (acceptance: 90 s)"


async def test_demo_opens_on_the_project_step_with_the_banner(demo_app: Any) -> None:
    app = demo_app
    async with app.run_test(size=(80, 24)) as pilot:
        started = time.monotonic()
        while not (isinstance(app.screen, ProjectScreen) and app.screen.ready):
            assert time.monotonic() - started < 30, f"still on {app.screen!r}"
            await pilot.pause(0.02)
        screen = app.screen
        banner = str(screen.query_one("#demo-banner", Static).render())
        assert banner.startswith("Demo"), banner
        assert "nothing is created in Google Cloud" in banner
        assert screen.query_one("#project", Input).value == DEMO_PROJECT
        assert app.session is not None and app.session.demo


def test_a_demo_answers_file_may_leave_out_the_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo fills in its own project, as the wizard's demo does; a real run still
    needs one (exit 2, naming project:)."""
    from kfwizard.cli import main
    from kfwizard.session import SessionStore

    answers = tmp_path / "a.yaml"
    answers.write_text(
        (ROOT / "examples" / "demo.yaml").read_text().replace(f"project: {DEMO_PROJECT}\n", "")
    )
    assert "project:" not in answers.read_text()
    assert main(["run", "--answers", str(answers), "--until", "project"]) == 2
    assert "project: is required" in capsys.readouterr().err
    code = main(["run", "--demo", "--speed", "0", "--answers", str(answers), "--until", "project"])
    assert code == 0, capsys.readouterr()
    [session] = SessionStore().list()
    assert session.demo and session.selections["project"] == DEMO_PROJECT
