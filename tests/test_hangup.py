"""After a hang-up, the watchdog ends a process whose exit hangs, but only once the run
has stopped and a normal exit had its grace period."""

from __future__ import annotations

import subprocess
import sys
import time

SCRIPT = """
import sys, time
from kfwizard.hangup import HangupExit
watchdog = HangupExit(7, limit={limit}, grace=0.2)
watchdog.start(run_over=False)
time.sleep({run_for})
print("run over", flush=True)
watchdog.run_over()
time.sleep(30)  # a hung exit
"""


def _run(limit: float, run_for: float) -> tuple[int, str, float]:
    started = time.monotonic()
    code = SCRIPT.format(limit=limit, run_for=run_for)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, time.monotonic() - started


def test_it_waits_for_the_run_then_the_grace_then_exits_with_the_code() -> None:
    code, out, seconds = _run(limit=20, run_for=1.0)
    assert code == 7 and "run over" in out
    assert 1.2 <= seconds < 15  # not before the run stopped and the grace passed


def test_a_run_that_never_stops_is_given_up_on_after_the_limit() -> None:
    code, out, seconds = _run(limit=0.5, run_for=20)
    assert code == 7 and "run over" not in out and seconds < 15
