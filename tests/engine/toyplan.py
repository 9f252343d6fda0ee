"""A small plan of real steps that leave marks on disk, for runner tests.

Each step appends its id to ``applied.log`` in a work folder when it applies, and its
``check()`` looks for its own marker file, so tests can count exactly what ran. Run as
a script it executes a plan for one session (used by the kill-and-resume test).
"""

from __future__ import annotations

import sys
from pathlib import Path

from kfwizard.engine.errors import StepFailed
from kfwizard.engine.runner import Runner
from kfwizard.engine.step import BaseStep, StepContext
from kfwizard.session import Session, SessionStore


class MarkStep(BaseStep):
    def __init__(
        self,
        step_id: str,
        work: Path,
        *,
        sleep: float = 0.0,
        fail_once: bool = False,
        lines: int = 3,
    ) -> None:
        self.id = step_id
        self.title = f"Toy step {step_id}"
        self.work = work
        self.sleep_for = sleep
        self.fail_once = fail_once
        self.lines = lines

    def commands(self, session: Session) -> list[str]:
        return [f"touch {self.id}.done"]

    def check(self, ctx: StepContext) -> bool:
        return (self.work / f"{self.id}.done").exists()

    def apply(self, ctx: StepContext) -> None:
        with open(self.work / "applied.log", "a") as log:
            log.write(self.id + "\n")
        (self.work / f"{self.id}.started").touch()
        for i in range(self.lines):
            ctx.log(f"{self.id}: line {i}")
        if self.sleep_for:
            ctx.sleep(self.sleep_for)
        flag = self.work / f"{self.id}.failed-once"
        if self.fail_once and not flag.exists():
            flag.touch()
            raise StepFailed(f"{self.id} broke on purpose", action="run it again")
        (self.work / f"{self.id}.done").touch()
        ctx.outputs["value"] = self.id


def toy_plan(work: Path, slow: str | None = None, fail_once: str | None = None) -> list[MarkStep]:
    return [
        MarkStep(s, work, sleep=30.0 if s == slow else 0.0, fail_once=s == fail_once)
        for s in ("credentials", "cluster", "apply", "verify")
    ]


def applied(work: Path) -> list[str]:
    path = work / "applied.log"
    return path.read_text().split() if path.exists() else []


if __name__ == "__main__":
    work_dir, session_id, slow_step = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    store = SessionStore()
    session = store.load(session_id)
    with store.lock(session_id):
        result = Runner(session, store, toy_plan(work_dir, slow=slow_step or None)).run()
    raise SystemExit(result.exit_code)
