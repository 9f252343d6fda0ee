"""Start-up: the wizard's first screen against a bare Textual app; the instant commands
against `python -c pass`.

Targets: first screen interactive <= 1.3x a one-Label Textual app (both headless, each
in a fresh process, from process start until the first screen is mounted and idle);
`kfwizard --version` and `kfwizard sessions` <= 1.2x `python -c pass` + 50 ms.
"""

from __future__ import annotations

import subprocess
import sys
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
        print("ready", flush=True)
asyncio.run(main())
"""


def _spawn_until_ready(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait(60)
    if line.strip() != "ready":
        raise RuntimeError("the app did not start")
    return elapsed


def _command(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env, cwd=ROOT)
    return time.perf_counter() - start


def main() -> int:
    import os
    import tempfile

    args = parse_args(__doc__ or "")
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, PYTHONPATH=str(ROOT), KFWIZARD_HOME=home)
        bare, wizard = [], []
        for _ in range(args.runs):  # interleaved so drift hits both alike
            bare.append(_spawn_until_ready(BARE_APP, env))
            wizard.append(_spawn_until_ready(WIZARD_APP, env))
        python, version, sessions = [], [], []
        for _ in range(args.runs):
            python.append(_command([sys.executable, "-c", "pass"], env))
            version.append(_command([sys.executable, "-m", "kfwizard", "--version"], env))
            sessions.append(_command([sys.executable, "-m", "kfwizard", "sessions"], env))
    ratio = median(wizard) / median(bare)
    budget = 1.2 * median(python) + 0.050
    figures = [
        Figure(
            "startup.first_screen_ratio",
            f"{ratio:.2f}x ({median(wizard) * 1000:.0f} ms vs bare {median(bare) * 1000:.0f} ms)",
            "<= 1.3x bare Textual app",
            ratio <= 1.3,
        ),
        Figure(
            "startup.version",
            f"{median(version) * 1000:.0f} ms",
            f"<= {budget * 1000:.0f} ms (1.2x python -c pass + 50 ms)",
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
