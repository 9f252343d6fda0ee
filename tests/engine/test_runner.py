"""The runner records every transition and resumes where a run stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

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
    from kfwizard.engine.errors import BadInput
    from kfwizard.engine.options import run_options

    options = run_options({"KFWIZARD_TIMEOUTS": "stuck=5, rollout=60"}, demo=False)
    assert options["timeouts"] == {"stuck": 5.0, "rollout": 60.0}
    assert run_options({}, demo=True)["timeouts"]["stuck"] == 15.0
    with pytest.raises(BadInput, match="KFWIZARD_TIMEOUTS"):
        run_options({"KFWIZARD_TIMEOUTS": "stuck=soon"}, demo=False)


# -- secrets in failures and log lines ------------------------------------------------
FAILED_PASSWORD = "kfw-RunnerPass-3b9d51"
FAILED_TOKEN = "kfwTok.runner-0123456789abcdefXYZ"


class _LeakyFailure:
    """A step that logs, then fails quoting a registered password and a bearer header in
    its cause, action and details (an API error echoing what it was sent)."""

    id = "apply"
    title = "Leaky"
    eta_seconds = None

    def commands(self, session: Session) -> list[str]:
        return []

    def check(self, ctx: object) -> bool:
        return False

    def apply(self, ctx: object) -> None:
        from kfwizard.engine.errors import StepFailed

        header = f"Authorization: Bearer {FAILED_TOKEN}"
        raise StepFailed(
            f"login refused for root:{FAILED_PASSWORD}@10.0.0.3 ({header})",
            f"check the password {FAILED_PASSWORD}",
            details=(header, f"db_password={FAILED_PASSWORD}"),
        )


def test_a_secret_in_a_failure_never_reaches_the_session_log_events_or_output(
    tmp_path: Path,
) -> None:
    import io

    from kfwizard.engine.redact import register_secret
    from kfwizard.headless import HeadlessPrinter

    register_secret(FAILED_PASSWORD)
    store = SessionStore()
    session = _new(store)
    events: list[object] = []
    out = io.StringIO()
    printer = HeadlessPrinter(out)

    def listen(event: object) -> None:
        events.append(event)
        printer(event)  # type: ignore[arg-type]

    runner = Runner(session, store, [_LeakyFailure()], emit=listen)
    result = runner.run()
    assert result.exit_code == 1 and "login refused for root:" in (result.cause or "")
    texts = {
        "session file": (store.folder / f"{session.id}.json").read_text(),
        "log file": runner.log.path.read_text(),
        "events": repr(events),
        "result": repr(result),
        "output": out.getvalue(),
    }
    for where, text in texts.items():
        assert FAILED_PASSWORD not in text, where
        assert FAILED_TOKEN not in text, where
    assert "==> failed at apply: login refused for root:********@10.0.0.3" in out.getvalue()
    assert "Authorization: Bearer ********" in texts["log file"]


def test_the_printer_redacts_a_failure_it_is_handed_unredacted() -> None:
    import io

    from kfwizard.engine.events import PlanFinished, StepFinished
    from kfwizard.headless import HeadlessPrinter

    out = io.StringIO()
    printer = HeadlessPrinter(out)
    cause = f"refused: Authorization: Bearer {FAILED_TOKEN}"
    printer(StepFinished("apply", "failed", 1.0, cause, f"retry with token={FAILED_TOKEN}"))
    printer(PlanFinished("failed", 1, "apply", cause, f"token={FAILED_TOKEN}"))
    assert FAILED_TOKEN not in out.getvalue()
    assert out.getvalue().count("********") == 2  # the cause and action, said once


def test_progress_that_repeats_the_last_log_line_is_not_printed_again() -> None:
    """A GKE operation's status is logged and then reported as progress in the same
    words: headless output printed each twice ("RUNNING: Creating node pools ... 1 of
    3" and "5/9 Creating node pools ... 1 of 3"). Progress with news is printed."""
    import io

    from kfwizard.engine.events import StepOutput, StepProgress
    from kfwizard.headless import HeadlessPrinter

    out = io.StringIO()
    printer = HeadlessPrinter(out)
    said = "Creating node pools (default-pool): 1 of 3 nodes created"
    printer(StepOutput("cluster", (f"operation op-1 RUNNING: {said} (1s)",)))
    printer(StepProgress("cluster", 5, 9, said))
    printer(StepProgress("rollout", 3, 14, "3/14 ready"))
    assert out.getvalue().splitlines() == [
        f"[cluster] operation op-1 RUNNING: {said} (1s)",
        "[rollout] 3/14 ready",
    ]


def test_step_lines_and_tracebacks_reach_the_log_file_redacted(tmp_path: Path) -> None:
    from kfwizard.engine.step import BaseStep, StepContext

    class Crashing(BaseStep):
        id = "apply"
        title = "Crashing"

        def apply(self, ctx: StepContext) -> None:
            ctx.log("connecting", f"password={FAILED_PASSWORD}x")
            raise RuntimeError(f"server said: Authorization: Bearer {FAILED_TOKEN}")

    store = SessionStore()
    session = _new(store)
    events: list[object] = []
    runner = Runner(session, store, [Crashing()], emit=events.append)
    assert runner.run().exit_code == 1
    log = runner.log.path.read_text()
    assert "[apply] password=********" in log
    assert "RuntimeError: server said: Authorization: Bearer ********" in log
    assert FAILED_TOKEN not in log and FAILED_TOKEN not in repr(events)
    lines = [line for e in events if isinstance(e, StepOutput) for line in e.lines]
    assert lines == ["connecting", "password=********"]


# -- the redaction pre-check ----------------------------------------------------------
def test_a_line_with_any_keyword_is_still_redacted() -> None:
    from kfwizard.engine.redact import redact_lines

    clean = "serverside-applied configmap/kfp-launcher in namespace kubeflow"
    cases = {
        "Authorization: Bearer abc.def-ghi": "Authorization: Bearer ********",
        "sent bearer abcdefghijklmnopqrstuvwx": "sent bearer ********",
        "PASSWORD=hunter2": "PASSWORD=********",
        "passwd: 'a b c'": "passwd: ********",
        "client_secret = s3cr3t": "client_secret = ********",
        "Access_Token: abc": "Access_Token: ********",
        "header ya29.a0AfH6SMB-x_y": "header ya29.********",
        # names the log batch check knows (_LOG_KEYWORDS), and the shapes after them
        "DB_PASS: hunter2": "DB_PASS: ********",
        "MYSQL_PWD=hunter2": "MYSQL_PWD=********",
        "OPENAI_API_KEY=sk-proj-abcdefghijklmnop": "OPENAI_API_KEY=********",
        "run --api-key abc123": "run --api-key ********",
        "git clone https://kfp:tok3n@example.com/x": "git clone https://kfp:********@example.com/x",
        "Authorization: Basic dXNlcjpwYXNz": "Authorization: Basic ********",
        # a case-insensitive pattern matches the long s and the Kelvin sign as s and k
        "pa\u017fsword=hunter2": "pa\u017fsword=********",
        "to\u212aen=abc": "to\u212aen=********",
    }
    for line, masked in cases.items():
        assert redact_lines([clean, line, clean]) == [clean, masked, clean], line


def test_a_registered_secret_in_a_line_without_keywords_is_redacted() -> None:
    from kfwizard.engine.redact import MASK, known_secrets, redact_lines, register_secret

    value = "kfw-Plain-9e27c4"
    register_secret(value)
    assert value in known_secrets()
    assert redact_lines(["ok", f"mysql://root:{value}@db"]) == ["ok", f"mysql://root:{MASK}@db"]


def test_a_clean_batch_is_returned_untouched_without_running_the_patterns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kfwizard.engine import redact

    class Exploding:
        def sub(self, *args: object) -> str:
            raise AssertionError("a pattern ran on a clean batch")

    monkeypatch.setattr(redact, "_PATTERNS", (Exploding(),))
    batch = [f"serverside-applied configmap/kfp-{n} in namespace kubeflow" for n in range(100)]
    result = redact.redact_lines(batch)
    assert result == batch and all(a is b for a, b in zip(result, batch, strict=True))
    assert redact.redact_lines([]) == []


# -- preflight output -----------------------------------------------------------------
def test_a_failed_preflight_logs_each_check_once(kfwizard_home: Path) -> None:
    """The runner logs a failure's details (every check); the step no longer logs them
    too, which printed the whole list twice."""
    import io

    from kfwizard.headless import run_headless

    out = io.StringIO()
    code = run_headless(
        answers=ROOT / "examples" / "demo.yaml",
        session_id=None,
        demo=True,
        faults=["no-default-storageclass"],
        speed=0.0,
        stream=out,
        env=dict(os.environ),
    )
    assert code == 1, out.getvalue()[-2000:]
    checks = [
        line
        for line in out.getvalue().splitlines()
        if line.startswith("[preflight] [") and not line.startswith("[preflight] [preflight]")
    ]
    assert any(line.startswith("[preflight] [fail] default-storageclass:") for line in checks)
    names = [line.split("] ", 2)[2].split(":")[0] for line in checks]
    assert len(names) == len(set(names)) >= 6, checks


def test_headless_progress_prints_a_repeated_poll_once() -> None:
    """An operation polled twice without news (same count, same message) is one line; a
    new count or message, and the final report, are printed."""
    import io

    from kfwizard.engine.events import StepProgress
    from kfwizard.headless import HeadlessPrinter

    out = io.StringIO()
    printer = HeadlessPrinter(out)
    printer.PROGRESS_EVERY = 0.0
    for done, message in [
        (5, "Creating node pools"),
        (5, "Creating node pools"),
        (6, "Creating node pools"),
        (6, "Checking health"),
        (9, "finished"),
        (9, "finished"),
    ]:
        printer(StepProgress("cluster", done, 9, message))
    assert out.getvalue().splitlines() == [
        "[cluster] 5/9 Creating node pools",
        "[cluster] 6/9 Creating node pools",
        "[cluster] 6/9 Checking health",
        "[cluster] 9/9 finished",
    ]


def test_progress_text_says_its_count_once() -> None:
    from kfwizard.engine.events import StepProgress

    assert StepProgress("cluster", 7, 9, "Creating node pools").counted() == (
        "7/9 Creating node pools"
    )
    assert StepProgress("rollout", 3, 14, "3/14 ready").counted() == "3/14 ready"
    applied = "applied 1/41  Namespace kubeflow"
    assert StepProgress("apply", 1, 41, applied).counted() == applied
    assert StepProgress("apply", 0, 0, "starting").counted() == "starting"
    assert StepProgress("apply", 2, 5, "").counted() == "2/5"


def test_an_error_message_reads_as_two_sentences() -> None:
    from kfwizard.engine.errors import BadInput, KfwizardError

    assert KfwizardError("Disk full.", "free space").message() == "Disk full. Next: free space"
    assert BadInput("--until", "must be a step").message() == (
        "--until: must be a step. Next: fix --until and run again"
    )
    assert KfwizardError("no action").message() == "no action"


def test_a_stop_keeps_what_goes_on_after_it_whoever_gave_the_reason() -> None:
    """A step stopped while something outside runs on (GKE finishing a create) adds
    that to the cause, also when the wizard words the stop itself (a closed window);
    headless prints the cause of an interrupted step."""
    import io

    from kfwizard.engine.errors import Cancelled
    from kfwizard.engine.step import BaseStep, StepContext
    from kfwizard.headless import HeadlessPrinter

    class StoppedMidCreate(BaseStep):
        id = "cluster"
        title = "GKE cluster"

        def apply(self, ctx: StepContext) -> None:
            raise Cancelled(aftermath="GKE goes on creating it.")

    store = SessionStore()
    for reason, said in [
        (None, "Stopped at your request. GKE goes on creating it."),
        ("The window was closed.", "The window was closed. GKE goes on creating it."),
    ]:
        session = _new(store)
        out = io.StringIO()
        options = {"stop_reason": reason} if reason else {}
        result = Runner(
            session, store, [StoppedMidCreate()], HeadlessPrinter(out), options=options
        ).run()
        assert result.state == "interrupted" and result.cause == said
        assert store.load(session.id).steps["cluster"].cause == said
        assert f"[cluster] interrupted in under a second: {said}" in out.getvalue()
