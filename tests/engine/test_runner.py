"""The runner records every transition and resumes where a run stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from kfwizard.engine.events import PlanFinished, StepFinished, StepOutput, StepStarted
from kfwizard.engine.runner import Runner
from kfwizard.session import Session, SessionStore
from tests.engine.toyplan import applied, toy_plan

ROOT = Path(__file__).resolve().parents[2]


def _new(store: SessionStore) -> Session:
    session = Session.new(name="toy")
    store.save(session)
    return session


def test_runs_all_steps_and_records_journal(tmp_path: Path) -> None:
    store = SessionStore()
    session = _new(store)
    events: list[object] = []
    result = Runner(session, store, toy_plan(tmp_path), emit=events.append).run()
    assert result.exit_code == 0 and result.state == "done"
    assert applied(tmp_path) == ["credentials", "cluster", "apply", "verify"]
    saved = store.load(session.id)
    assert saved.status == "done"
    assert [saved.steps[s].state for s in ("credentials", "cluster", "apply", "verify")] == [
        "done"
    ] * 4
    states = [(e["step"], e["state"]) for e in saved.journal]
    assert states[:2] == [("credentials", "running"), ("credentials", "done")]
    assert saved.outputs["apply"] == {"value": "apply"}
    assert isinstance(events[-1], PlanFinished)
    assert any(isinstance(e, StepStarted) and e.commands == ("touch cluster.done",) for e in events)
    lines = [line for e in events if isinstance(e, StepOutput) for line in e.lines]
    assert "cluster: line 2" in lines


def test_log_file_has_every_line(tmp_path: Path) -> None:
    store = SessionStore()
    session = _new(store)
    runner = Runner(session, store, toy_plan(tmp_path))
    runner.run()
    text = runner.log.path.read_text()
    assert "[apply] apply: line 1" in text
    assert oct(runner.log.path.stat().st_mode & 0o777) == "0o600"


def test_second_run_applies_nothing(tmp_path: Path) -> None:
    store = SessionStore()
    session = _new(store)
    Runner(session, store, toy_plan(tmp_path)).run()
    events: list[object] = []
    result = Runner(store.load(session.id), store, toy_plan(tmp_path), emit=events.append).run()
    assert result.exit_code == 0
    assert applied(tmp_path) == ["credentials", "cluster", "apply", "verify"]
    notes = [e.note for e in events if isinstance(e, StepFinished)]
    assert notes == ["already done"] * 4


def test_resume_after_failure_reruns_only_the_failed_step(tmp_path: Path) -> None:
    store = SessionStore()
    session = _new(store)
    first = Runner(session, store, toy_plan(tmp_path, fail_once="apply")).run()
    assert first.exit_code == 1 and first.failed_step == "apply"
    assert first.cause == "apply broke on purpose" and first.action == "run it again"
    saved = store.load(session.id)
    assert saved.status == "failed" and saved.steps["apply"].state == "failed"
    assert saved.steps["apply"].cause == "apply broke on purpose"
    assert saved.steps["verify"].state == "pending"
    second = Runner(saved, store, toy_plan(tmp_path, fail_once="apply")).run()
    assert second.exit_code == 0
    assert applied(tmp_path) == ["credentials", "cluster", "apply", "apply", "verify"]
    assert store.load(session.id).steps["apply"].attempts == 2


def test_step_whose_work_vanished_is_applied_again(tmp_path: Path) -> None:
    store = SessionStore()
    session = _new(store)
    Runner(session, store, toy_plan(tmp_path)).run()
    (tmp_path / "cluster.done").unlink()  # someone deleted the cluster
    Runner(store.load(session.id), store, toy_plan(tmp_path)).run()
    assert applied(tmp_path).count("cluster") == 2


def test_cancel_inside_a_wait_leaves_session_interrupted(tmp_path: Path) -> None:
    store = SessionStore()
    session = _new(store)
    cancel = threading.Event()
    runner = Runner(session, store, toy_plan(tmp_path, slow="apply"), cancel=cancel)
    thread = threading.Thread(target=lambda: setattr(runner, "result", runner.run()))
    thread.start()
    deadline = time.monotonic() + 10
    while not (tmp_path / "apply.started").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    cancel.set()
    thread.join(10)
    assert time.monotonic() - started < 2, "cancel must wake a waiting step at once"
    result = runner.result  # type: ignore[attr-defined]
    assert result.exit_code == 130 and result.state == "interrupted"
    saved = store.load(session.id)
    assert saved.status == "interrupted"
    assert saved.steps["apply"].state == "interrupted"
    resumed = Runner(saved, store, toy_plan(tmp_path)).run()
    assert resumed.exit_code == 0
    assert applied(tmp_path) == ["credentials", "cluster", "apply", "apply", "verify"]


def test_cancel_before_start_touches_nothing(tmp_path: Path) -> None:
    store = SessionStore()
    session = _new(store)
    cancel = threading.Event()
    cancel.set()
    result = Runner(session, store, toy_plan(tmp_path), cancel=cancel).run()
    assert result.exit_code == 130 and applied(tmp_path) == []


def test_unexpected_exception_becomes_a_named_failure(tmp_path: Path) -> None:
    from kfwizard.engine.step import BaseStep

    class Broken(BaseStep):
        id = "apply"
        title = "Broken"

        def apply(self, ctx):  # type: ignore[no-untyped-def]
            raise ZeroDivisionError("boom")

    store = SessionStore()
    session = _new(store)
    result = Runner(session, store, [Broken()]).run()
    assert result.exit_code == 1
    assert "ZeroDivisionError: boom" in (result.cause or "")
    assert "log" in (result.action or "")


def test_killed_process_resumes_in_a_new_one(tmp_path: Path) -> None:
    store = SessionStore()
    session = _new(store)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.toyplan", str(tmp_path), session.id, "apply"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while not (tmp_path / "apply.started").exists():
        assert time.monotonic() < deadline, "the child never reached the slow step"
        assert proc.poll() is None, "the child ended early"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    crashed = store.load(session.id)
    assert crashed.steps["apply"].state == "running"
    assert crashed.steps["cluster"].state == "done"
    done = subprocess.run(
        [sys.executable, "-m", "tests.engine.toyplan", str(tmp_path), session.id, ""],
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0
    assert applied(tmp_path) == ["credentials", "cluster", "apply", "apply", "verify"]
    final = store.load(session.id)
    assert final.status == "done"
    journal = [(e["step"], e["state"]) for e in final.journal]
    assert ("apply", "interrupted") in journal


def test_timeouts_come_from_the_environment_and_bad_ones_name_the_variable() -> None:
    import pytest

    from kfwizard.engine.errors import BadInput
    from kfwizard.engine.options import run_options

    options = run_options({"KFWIZARD_TIMEOUTS": "stuck=5, rollout=60"}, demo=False)
    assert options["timeouts"] == {"stuck": 5.0, "rollout": 60.0}
    assert run_options({}, demo=True)["timeouts"]["stuck"] == 15.0
    with pytest.raises(BadInput, match="KFWIZARD_TIMEOUTS"):
        run_options({"KFWIZARD_TIMEOUTS": "stuck=soon"}, demo=False)
