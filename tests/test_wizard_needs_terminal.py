"""The wizard is drawn on a terminal and driven by keys: without one (a script,
``</dev/null``, ``> out``) it wrote kilobytes of escape codes into the file, waited for
keys forever and left a ``new`` session behind. It is refused at once (exit 2), naming
the headless command that does the same, and nothing is created."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kfwizard import paths
from kfwizard.cli import main
from kfwizard.session import SessionStore
from tests.test_demo_lock import holder as holder  # the fixture

ROOT = Path(__file__).resolve().parents[1]
NEEDS = "kfwizard: The wizard needs a terminal to draw on and read keys from, and "


@pytest.mark.parametrize(
    ("argv", "next_action"),
    [
        (["--demo"], "run the demo headless instead: kfwizard --demo run --answers "),
        ([], "run headless instead: kfwizard run --answers FILE (see examples/gke.yaml)"),
        (["resume", "first-kfp"], "resume it headless instead: kfwizard run --session first-kfp"),
        (["resume"], "list the sessions with kfwizard sessions, then resume one headless: "),
    ],
)
def test_without_a_terminal_the_wizard_is_refused(
    argv: list[str], next_action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Under pytest neither stdin nor stdout is a terminal.
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{NEEDS}neither stdin nor stdout is one. Next: ")
    assert next_action in captured.err
    assert SessionStore().list() == []


def test_the_demo_without_a_terminal_creates_nothing(tmp_path: Path) -> None:
    """The tester's ``timeout 8 kfwizard --demo </dev/null >out 2>err``."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "kfwizard", "--demo"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stdout == "" and "\x1b" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "kfwizard --demo run --answers examples/demo.yaml" in done.stderr
    assert SessionStore().list() == []
    assert not paths.demo_state_dir().exists()  # no emulators were started
    assert time.monotonic() - started < 30


def _at_a_terminal(argv: list[str], *, stdout_to: Path | None = None) -> tuple[int, str, str]:
    """Run with stdin (and stdout, unless ``stdout_to``) at a pseudo-terminal; the exit
    code, what the terminal showed and stderr."""
    import pty

    master, slave = pty.openpty()
    with open(stdout_to or os.devnull, "wb") as into:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kfwizard", *argv],
            stdin=slave,
            stdout=into if stdout_to else slave,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            start_new_session=True,
        )
    os.close(slave)
    shown = bytearray()
    try:
        _, err = proc.communicate(timeout=60)
        while select.select([master], [], [], 0.1)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return proc.returncode, shown.decode(errors="replace"), err.decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_output_to_a_file_is_refused_naming_stdout(tmp_path: Path) -> None:
    code, _, err = _at_a_terminal(["--demo"], stdout_to=tmp_path / "out")
    assert code == 2, err
    assert err.startswith(f"{NEEDS}stdout is not one. Next: ")
    assert (tmp_path / "out").read_bytes() == b""
    assert SessionStore().list() == []


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_at_a_terminal_a_busy_demo_is_refused_before_the_ui_opens(
    holder: subprocess.Popen[str],
) -> None:
    """Another process holds the demo's emulators: the wizard at a terminal is refused
    by that (exit 1, naming it), before anything is drawn."""
    code, shown, err = _at_a_terminal(["--demo"])
    assert code == 1, err[-2000:]
    assert f"Another kfwizard process (pid {holder.pid}) is using" in err
    assert "\x1b" not in shown and "Traceback" not in err
    holder.communicate("", timeout=30)
    assert holder.returncode == 0
