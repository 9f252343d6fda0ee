"""Kill ``kfwizard run`` anywhere, resume, same end state.

Why: installs break in the middle (a laptop lid, an OOM killer, a CI timeout). The
promise is that ``kfwizard run --session ID`` then finishes the job: one cluster, each
object once, an inventory that matches, a session file that still reads.

Each scenario installs KFP 2.17.0 (platform-agnostic, shared rendered fixture) against
an external ``kfwizard emulator`` running at a pace where every step takes measurable
time, SIGKILLs the run at one kill point, resumes it and checks the end state with the
official GKE and Kubernetes clients.

Kill points are deterministic:

- ``save``: the child's test hook (``childhooks/sitecustomize.py``) kills it at the first
  session save that records a given fact, before/after that save or half-way through
  writing it (a torn temp file);
- ``log``: the hook kills it when a step logs a given line (synchronously, or after a
  delay from a timer thread);
- ``progress``: the hook kills it when a step reports progress past a count (half of
  the objects applied, some workloads ready);
- ``watch``: the test itself reads the run's output and SIGKILLs the process a chosen
  delay after a given line (during a wait, during cluster creation).

CI runs one point per step (``ci=True``, picked by hand to mix the kinds); the rest are
``slow`` and run with ``KFWIZARD_FULL_SWEEP=1``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import harness

SPEED = 0.1
"""The emulators' pace: cluster creation ~2 s, rollout ~0.5 s; a full run ~10 s."""


@dataclass(frozen=True)
class KillPoint:
    step: str
    name: str
    kind: str  # save | log | progress | watch
    spec: dict[str, Any]
    lands: str = "running"
    """The state the step must have on disk right after the kill (proves where it landed)."""
    ci: bool = False

    @property
    def id(self) -> str:
        return f"{self.step}-{self.name}"


def at_save(step: str, state: str, when: str, **kw: Any) -> dict[str, Any]:
    return {"on": "save", "path": f"steps.{step}.state", "value": state, "when": when, **kw}


def boundary(step: str, ci: bool = False) -> KillPoint:
    """Right after the session records the step as started (the step boundary)."""
    return KillPoint(step, "boundary", "save", at_save(step, "running", "after"), ci=ci)


def torn_done_save(step: str, ci: bool = False) -> KillPoint:
    """Half-way through writing the save that records the step as done."""
    return KillPoint(step, "torn-done-save", "save", at_save(step, "done", "torn"), ci=ci)


def on_log(step: str, name: str, pattern: str, delay: float = 0.0, ci: bool = False) -> KillPoint:
    return KillPoint(step, name, "log", {"on": "log", "pattern": pattern, "delay": delay}, ci=ci)


def watch(step: str, name: str, pattern: str, delay: float, ci: bool = False) -> KillPoint:
    return KillPoint(step, name, "watch", {"pattern": pattern, "delay": delay}, ci=ci)


KILL_POINTS: tuple[KillPoint, ...] = (
    # credentials (about 0.1 s of work)
    boundary("credentials"),
    on_log("credentials", "project-found", r"^project: "),
    torn_done_save("credentials", ci=True),
    # services: list, batchEnable operation, confirm
    boundary("services"),
    KillPoint(
        "services",
        "enable-sent",
        "log",
        {"on": "log", "pattern": r"^batchEnable operation .* started", "delay": 0.0},
    ),
    KillPoint(
        "services",
        "operation-recorded",
        "save",
        {"on": "save", "path": "outputs.services.operation", "when": "after", "value": None},
        ci=True,
    ),
    torn_done_save("services"),
    # cluster: intent saved, create sent, operation followed
    boundary("cluster"),
    KillPoint(
        "cluster",
        "intent-saved",
        "save",
        {"on": "save", "path": "outputs.cluster.create_requested", "value": True, "when": "after"},
    ),
    KillPoint(
        "cluster",
        "created-not-recorded",
        "save",
        {
            "on": "save",
            "path": "inventory.cluster.created_by_session",
            "value": True,
            "when": "before",
        },
        ci=True,
    ),
    watch("cluster", "during-creation", r"Creating node pools", delay=0.1),
    torn_done_save("cluster"),
    # connect
    boundary("connect", ci=True),
    on_log("connect", "api-answered", r"^Kubernetes API answers"),
    torn_done_save("connect"),
    # manifests
    boundary("manifests"),
    on_log("manifests", "reading", r"^Reading rendered YAML", ci=True),
    torn_done_save("manifests"),
    # preflight
    boundary("preflight", ci=True),
    on_log("preflight", "checks-half-done", r"^\[pass\] rbac"),
    torn_done_save("preflight"),
    # apply: CRDs, their wait, tiers
    boundary("apply"),
    on_log("apply", "crd-wait", r"^Waiting for \d+ CRDs to be Established"),
    KillPoint(
        "apply",
        "tier-saved",
        "save",
        {"on": "save", "path": "outputs.apply.tiers.0.name", "value": None, "when": "after"},
    ),
    KillPoint(
        "apply",
        "half-applied",
        "progress",
        {"on": "progress", "step": "apply", "at_least": 50},
        ci=True,
    ),
    watch("apply", "during-tiers", r"Tier 2/3", delay=0.0),
    torn_done_save("apply"),
    # rollout: the wait for workloads
    boundary("rollout"),
    KillPoint(
        "rollout",
        "some-ready",
        "progress",
        {"on": "progress", "step": "rollout", "at_least": 3},
        ci=True,
    ),
    watch("rollout", "during-wait", r"Waiting for \d+ workloads", delay=0.0),
    torn_done_save("rollout"),
    # verify, and the run's final save
    boundary("verify"),
    on_log("verify", "api-checked", r"\[pass\] api:"),
    torn_done_save("verify"),
    KillPoint(
        "verify",
        "final-status-save",
        "save",
        {"on": "save", "path": "status", "value": "done", "when": "torn"},
        lands="done",
        ci=True,
    ),
)


def _params() -> list[Any]:
    params = []
    for point in KILL_POINTS:
        marks = [] if point.ci else [pytest.mark.slow]
        if not point.ci and not harness.FULL_SWEEP:
            marks.append(pytest.mark.skip(reason="full sweep only (KFWIZARD_FULL_SWEEP=1)"))
        params.append(pytest.param(point, id=point.id, marks=marks))
    return params


def test_every_step_has_at_least_three_kill_points() -> None:
    for step in harness.STEPS:
        points = [p for p in KILL_POINTS if p.step == step]
        assert len(points) >= 3, step
        assert sum(p.ci for p in points) == 1, f"{step}: CI samples exactly one point"


@pytest.mark.parametrize("point", _params())
def test_kill_then_resume_reaches_the_same_end_state(
    point: KillPoint, tmp_path: Path, emulators: Any, answers: Path, kfwizard_home: Path
) -> None:
    emulator = emulators(speed=SPEED)
    extra = {} if point.kind == "watch" else {"KFWIZARD_TEST_KILL": json.dumps(point.spec)}
    run = harness.start_run(tmp_path, emulator, ["--answers", str(answers)], extra_env=extra)
    if point.kind == "watch":
        run.wait_for(point.spec["pattern"])
        time.sleep(point.spec["delay"])  # the chosen delay after the line
        run.kill()
    code = run.wait()
    assert code == -9, f"the run was not killed at {point.id} (exit {code})\n{run.tail()}"

    # Right after the kill: the session file reads, and shows where the kill landed.
    session_id = harness.session_id_of(run)
    states = harness.step_states(session_id)
    assert states.get(point.step) == point.lands, (point.id, states)
    if point.spec.get("when") == "torn":
        assert harness.leftover_temp_files(kfwizard_home), "the torn save left no temp file"

    resumed = harness.run_to_end(tmp_path, emulator, ["--session", session_id])
    assert resumed.popen.returncode == 0, resumed.tail()
    if point.lands == "running":  # the resume noticed the crash and said so
        journal = harness.read_session(session_id)["journal"]
        assert any(
            e["step"] == point.step and "ended unexpectedly" in (e.get("cause") or "")
            for e in journal
        ), journal[-5:]

    _assert_sessions_command_lists(session_id)
    assert harness.audit_violations(tmp_path) == []
    harness.assert_installed(emulator, tmp_path, session_id)


def _assert_sessions_command_lists(session_id: str) -> None:
    import contextlib
    import io

    from kfwizard.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["sessions", "--json"]) == 0
    rows = json.loads(out.getvalue())
    assert [(r["id"], r["status"]) for r in rows] == [(session_id, "done")]
    assert err.getvalue() == "", err.getvalue()
