"""Ctrl+C in a headless run: exit 130, the session ``interrupted``, nothing half-written,
and ``kfwizard run --session ID`` picks it up.

Why: Ctrl+C is how people stop a run they started by mistake or that looks stuck. It
must never leave a torn file or a session that claims to be running. (The wizard's
Ctrl+C and quit during a step are covered in tests/ui/test_runs.py.)

One install is interrupted once in each chosen step, resumed after each stop, and must
end in the same state as an uninterrupted install. CI interrupts the long steps
(services, cluster, apply, rollout); ``KFWIZARD_FULL_SWEEP=1`` interrupts every step.
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.reliability import harness

SPEED = 0.1

# Where to press Ctrl+C in each step: a line the step prints while it works.
DURING = {
    "credentials": r"^==> \[credentials\]",
    "services": r"^\[services\] batchEnable operation",
    "cluster": r"^\[cluster\] .*Creating node pools",
    "connect": r"^==> \[connect\]",
    "manifests": r"^==> \[manifests\]",
    "preflight": r"^==> \[preflight\]",
    "apply": r"^\[apply\] Tier 3/3",
    "rollout": r"^\[rollout\] Waiting for \d+ workloads",
    "verify": r"^==> \[verify\]",
}
CI_STEPS = ("services", "cluster", "apply", "rollout")


def _sessions_rows() -> list[dict[str, Any]]:
    from kfwizard.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["sessions", "--json"]) == 0
    return json.loads(out.getvalue())


def _assert_nothing_half_written(home: Path, session_id: str) -> None:
    assert harness.leftover_temp_files(home) == []
    harness.read_session(session_id)  # parses and loads
    log = home / "log" / session_id / "kfwizard.log"
    assert log.read_text().endswith("\n"), "the log ends in a partial line"
    kubeconfig = harness.read_session(session_id)["outputs"].get("connect", {}).get("kubeconfig")
    if kubeconfig:
        yaml.safe_load(Path(kubeconfig).read_text())


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param(CI_STEPS, id="long-steps"),
        pytest.param(
            harness.STEPS,
            id="every-step",
            marks=[
                pytest.mark.slow,
                pytest.mark.skipif(not harness.FULL_SWEEP, reason="KFWIZARD_FULL_SWEEP=1 only"),
            ],
        ),
    ],
)
def test_ctrl_c_in_each_step_leaves_it_interrupted_and_resumable(
    steps: tuple[str, ...], tmp_path: Path, emulators: Any, answers: Path, kfwizard_home: Path
) -> None:
    """Ctrl+C once in each step in turn, resuming after each; in the last one Ctrl+C is
    pressed twice (abort at once instead of at the next safe point)."""
    emulator = emulators(speed=SPEED)
    run = harness.start_run(tmp_path, emulator, ["--answers", str(answers)])
    session_id = ""
    for step in steps:
        twice = step == steps[-1]
        run.wait_for(DURING[step])
        run.send(signal.SIGINT)
        if twice:
            run.send(signal.SIGINT)
        code = run.wait()
        assert code == 130, f"Ctrl+C in {step}: exit {code}\n{run.tail()}"
        assert "Traceback" not in run.err, run.err
        session_id = session_id or harness.session_id_of(run)
        _assert_nothing_half_written(kfwizard_home, session_id)
        session = harness.read_session(session_id)
        states = {k: v["state"] for k, v in session["steps"].items()}
        if twice:
            # Aborted at once: the session may still say "running"; a resume treats the
            # step as crashed and runs it again.
            assert session["status"] in ("interrupted", "running"), session["status"]
        else:
            assert "Stopping at the next safe point" in run.err
            assert session["status"] == "interrupted", (step, session["status"])
            stopped = [k for k, v in states.items() if v == "interrupted"]
            # The step stops at its next safe point; a step with no wait left finishes
            # first, and the run then stops before the next one.
            order = list(harness.STEPS)
            assert len(stopped) == 1, (step, states)
            assert order.index(stopped[0]) - order.index(step) in (0, 1), (step, states)
            assert "running" not in states.values(), states
            assert f"==> interrupted at {stopped[0]}" in run.out, run.tail()
            rows = _sessions_rows()
            assert [(r["id"], r["status"]) for r in rows] == [(session_id, "interrupted")]

        run = harness.start_run(tmp_path, emulator, ["--session", session_id])
    assert run.wait() == 0, run.tail()
    assert harness.audit_violations(tmp_path) == []
    harness.assert_installed(emulator, tmp_path, session_id)
