"""Start-up: the wizard's first screen against a bare Textual app; the instant commands
against `python -c pass`.

Targets: first screen interactive <= 1.3x a one-Label Textual app (both headless, each
in a fresh process, from process start until the first screen is mounted and idle);
`kfwizard --version` and `kfwizard sessions` <= 1.2x `python -c pass` + 50 ms.

"Interactive" means the wizard screen has filled its fields (its ``ready`` flag, the
same signal the UI tests wait for). Every wizard run gets an empty ``KFWIZARD_HOME``, so
it is a first run and the first screen is the Project step: with a shared home the first
run would save a session and every later run would open the lighter session picker
instead. The picker (one saved session: a returning user) is reported on its own line.

The form peer (``form_peer.py``) is the Project screen's widget tree and stylesheets in
plain Textual, measured like the bare app: the share of the gap that is Textual's own
cost for this form rather than kfwizard's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from common import ROOT, Figure, median, parse_args, report

BARE_APP = """
import asyncio, time
from textual.app import App, ComposeResult
from textual.widgets import Label
class Bare(App):
    def compose(self) -> ComposeResult:
        yield Label("hello")
async def main():
    app = Bare()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        print("ready", flush=True)
asyncio.run(main())
"""

WIZARD_APP = """
import asyncio
from kfwizard.app import WizardApp
async def main():
    app = WizardApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        while not getattr(app.screen, "ready", True):
            await pilot.pause(0.002)
        print("ready", type(app.screen).__name__, flush=True)
asyncio.run(main())
"""

FORM_APP = (ROOT / "benchmarks" / "form_peer.py").read_text(encoding="utf-8")
"""The Project screen's 38 widgets and stylesheets in plain Textual (no kfwizard code):
what Textual itself costs for this form, measured like the bare app."""

SAVE_ONE_SESSION = """
from kfwizard.session import Session, SessionStore
SessionStore().save(Session.new(name="returning"))
"""


def _spawn_until_ready(code: str, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait(60)
    words = line.split()
    if not words or words[0] != "ready":
        raise RuntimeError("the app did not start")
    return elapsed, " ".join(words[1:])


def _wizard_first_run(base: dict[str, str]) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="kfwizard-bench-") as home:
        return _spawn_until_ready(WIZARD_APP, dict(base, KFWIZARD_HOME=home))


def _command(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env, cwd=ROOT)
    return time.perf_counter() - start


def _with_bytecode(base: dict[str, str], cache: str) -> dict[str, str]:
    """Every process reads compiled bytecode, from one cache filled by a first run.

    Textual comes from site-packages, compiled when pip installed it. kfwizard, in an
    editable checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (as here and in CI), was
    compiled from source in every run: 30-60 ms no installed user pays after the first
    start. With one bytecode cache for every process, both sides start like an
    installed program.
    """
    env = dict(base, PYTHONPYCACHEPREFIX=cache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def main() -> int:
    args = parse_args(__doc__ or "")
    with (
        tempfile.TemporaryDirectory(prefix="kfwizard-bench-") as home,
        tempfile.TemporaryDirectory(prefix="kfwizard-bytecode-") as cache,
    ):
        base = _with_bytecode(dict(os.environ, PYTHONPATH=str(ROOT)), cache)
        env = dict(base, KFWIZARD_HOME=home)
        subprocess.run([sys.executable, "-c", SAVE_ONE_SESSION], check=True, env=env, cwd=ROOT)
        for code in (BARE_APP, FORM_APP):  # fill the bytecode cache; not measured
            _spawn_until_ready(code, env)
        _wizard_first_run(base)
        bare, form, wizard, picker = [], [], [], []
        first_screen = picker_screen = ""
        for _ in range(args.runs):  # interleaved so drift hits all alike
            bare.append(_spawn_until_ready(BARE_APP, env)[0])
            form.append(_spawn_until_ready(FORM_APP, env)[0])
            seconds, first_screen = _wizard_first_run(base)
            wizard.append(seconds)
            seconds, picker_screen = _spawn_until_ready(WIZARD_APP, env)
            picker.append(seconds)
        python, version, sessions = [], [], []
        for _ in range(args.runs):
            python.append(_command([sys.executable, "-c", "pass"], env))
            version.append(_command([sys.executable, "-m", "kfwizard", "--version"], env))
            sessions.append(_command([sys.executable, "-m", "kfwizard", "sessions"], env))
    ratio = median(wizard) / median(bare)
    form_ratio = median(form) / median(bare)
    returning = median(picker) / median(bare)
    budget = 1.2 * median(python) + 0.050
    figures = [
        Figure(
            "startup.first_screen_ratio",
            f"{ratio:.2f}x ({median(wizard) * 1000:.0f} ms to {first_screen} vs bare "
            f"{median(bare) * 1000:.0f} ms)",
            "<= 1.3x bare Textual app",
            ratio <= 1.3,
        ),
        Figure(
            "startup.form_peer",
            f"{form_ratio:.2f}x ({median(form) * 1000:.0f} ms; the wizard takes "
            f"{median(wizard) / median(form):.2f}x this)",
            "reported: the Project screen's widgets in plain Textual",
            None,
        ),
        Figure(
            "startup.returning_user",
            f"{returning:.2f}x ({median(picker) * 1000:.0f} ms to {picker_screen}, one "
            "saved session)",
            "reported",
            None,
        ),
        Figure(
            "startup.version",
            f"{median(version) * 1000:.0f} ms",
            f"<= {budget * 1000:.0f} ms (1.2x python -c pass + 50 ms; pass "
            f"{median(python) * 1000:.0f} ms)",
            median(version) <= budget,
        ),
        Figure(
            "startup.sessions",
            f"{median(sessions) * 1000:.0f} ms",
            f"<= {budget * 1000:.0f} ms",
            median(sessions) <= budget,
        ),
    ]
    return report(figures, args.quick)


if __name__ == "__main__":
    raise SystemExit(main())
