"""Session files that are corrupt, truncated, from the future or read-only, a disk that
fills up while saving, and two processes on one session: each gets a clear message
through the command line, and no session data is lost (a newer kfwizard's file is left
where it is, for that kfwizard).

Why: the session is the only thing that makes a broken install resumable. The store's
own rules are tested in tests/engine/test_session.py; these tests go through
``kfwizard run``/``sessions`` the way a user meets the problem.

Most tests run the CLI in-process against an in-process emulator stack at speed 0; a
full disk and a read-only folder use a small tmpfs when this process may mount one
(root), otherwise a sessions folder without write permission, otherwise an injected
write error.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import harness


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An in-process emulator stack (speed 0) whose exports are in the environment."""
    from kfwizard.emulator.stack import EmulatorStack

    with EmulatorStack(
        speed=0.0, project=harness.PROJECT, kubeconfig_path=tmp_path / "emulator-kubeconfig"
    ) as emulators:
        for key, value in emulators.env().items():
            monkeypatch.setenv(key, value)
        yield emulators


def cli(*args: str) -> tuple[int, str, str]:
    from kfwizard.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def new_session(answers: Path) -> tuple[str, Path]:
    """A real session, stopped after the project phase (credentials + services)."""
    code, out, err = cli("run", "--answers", str(answers), "--until", "project")
    assert code == 0, out + err
    session_id = re.search(r"New session (\S+)\.", out).group(1)  # type: ignore[union-attr]
    return session_id, harness.sessions_dir() / f"{session_id}.json"


def set_aside_copies(session_id: str) -> list[Path]:
    return sorted((harness.sessions_dir() / "set-aside").glob(f"{session_id}.*.json"))


# -- unreadable files: set aside, reported, bytes kept ----------------------------------------


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        pytest.param(lambda text: "{ this is not json", "not valid JSON", id="corrupt"),
        pytest.param(lambda text: text[: len(text) // 2], "not valid JSON", id="truncated"),
        pytest.param(lambda text: "", "not valid JSON", id="empty"),
        pytest.param(lambda text: "[1, 2, 3]", "unreadable: not a JSON object", id="not-a-mapping"),
    ],
)
def test_an_unusable_session_file_is_set_aside_with_its_bytes_and_named(
    damage: Any, reason: str, stack: Any, answers: Path
) -> None:
    session_id, path = new_session(answers)
    damaged = damage(path.read_text())
    path.write_text(damaged)

    code, out, err = cli("run", "--session", session_id)
    assert code == 1, out + err
    assert f"Session file {session_id}.json could not be used ({reason}" in err, err
    assert "set-aside" in err and "Traceback" not in err
    (copy,) = set_aside_copies(session_id)
    assert copy.read_text() == damaged, "the damaged file was not kept byte for byte"

    code, out, err = cli("sessions")  # listing never fails on it
    assert code == 0 and "No sessions yet" in out, out + err


def test_a_newer_kfwizards_session_file_is_listed_refused_and_left_in_place(
    stack: Any, answers: Path
) -> None:
    """Moving it aside would hide it from the newer kfwizard that wrote it."""
    session_id, path = new_session(answers)
    newer = json.dumps({**json.loads(path.read_text()), "schema_version": 99})
    path.write_text(newer)

    code, out, err = cli("run", "--session", session_id)
    assert code == 1, out + err
    assert (
        f"Session file {session_id}.json was written by a newer kfwizard (schema 99, "
        "this one reads 1); upgrade kfwizard to resume it" in err
    ), err
    assert "Traceback" not in err and set_aside_copies(session_id) == []
    assert path.read_text() == newer

    code, out, err = cli("sessions", "--json")
    assert code == 0, out + err
    assert [(r["id"], r["status"]) for r in json.loads(out)] == [(session_id, "newer")]
    assert "upgrade kfwizard to resume it" in err
    assert path.read_text() == newer and set_aside_copies(session_id) == []


def test_a_damaged_file_does_not_stop_other_sessions(stack: Any, answers: Path) -> None:
    good, _ = new_session(answers)
    bad = harness.sessions_dir() / "20260101-0000-0bad.json"
    bad.write_text('{"schema_version": 1, "id": ')
    code, out, err = cli("sessions", "--json")
    assert code == 0, err
    assert [r["id"] for r in json.loads(out)] == [good]
    assert "20260101-0000-0bad.json could not be used" in err
    code, out, err = cli("run", "--session", good, "--until", "project")
    assert code == 0, out + err


def test_a_read_only_session_file_is_replaced_not_refused(stack: Any, answers: Path) -> None:
    """chmod 0444 on the file: saves replace it atomically (the folder is writable), so
    the resume works and the new file is private again."""
    session_id, path = new_session(answers)
    path.chmod(0o444)
    code, out, err = cli("run", "--session", session_id, "--until", "project")
    assert code == 0, out + err
    assert path.stat().st_mode & 0o777 == 0o600
    assert harness.read_session(session_id)["status"] == "done"


# -- a folder that cannot be written: a full disk, a read-only mount ---------------------------


class SessionsFolder:
    """Makes the sessions folder full or read-only, the most real way this machine allows."""

    def __init__(self, folder: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.tmp = tmp
        self.monkeypatch = monkeypatch
        self.mounted = False
        self.how = ""
        self._original: Any = None

    def mount(self, size_kb: int = 256) -> bool:
        """A tmpfs over the sessions folder, its files copied in (root only)."""
        if os.geteuid() != 0 or shutil.which("mount") is None:
            return False
        keep = self.tmp / "sessions-before-mount"
        shutil.copytree(self.folder, keep)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700", "tmpfs", str(self.folder)],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            return False
        self.mounted = True
        for item in keep.iterdir():
            shutil.copy2(item, self.folder / item.name)
        return True

    def fill(self) -> None:
        """Use up every free block (the folder's files stay as they are)."""
        if self.how == "tmpfs":
            fd = os.open(self.folder / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                with contextlib.suppress(OSError):
                    while True:
                        os.write(fd, b"\0" * 4096)
            finally:
                os.close(fd)
        elif self.how == "chmod":
            self.folder.chmod(0o500)
        else:
            self._inject(errno.ENOSPC)

    def make_full(self) -> None:
        self.how = "tmpfs" if self.mount() else ("chmod" if os.geteuid() != 0 else "inject")
        self.fill()

    def free(self) -> None:
        if self.how == "tmpfs":
            (self.folder / "filler").unlink()
        elif self.how == "chmod":
            self.folder.chmod(0o700)
        else:
            import kfwizard.session as session_module

            self.monkeypatch.setattr(session_module, "atomic_write_text", self._original)

    def make_read_only(self) -> None:
        if self.mount():
            self.how = "tmpfs"
            subprocess.run(["mount", "-o", "remount,ro", str(self.folder)], check=True)
        elif os.geteuid() != 0:
            self.how = "chmod"
            self.folder.chmod(0o500)
        else:
            self.how = "inject"
            self._inject(errno.EROFS)

    def make_writable(self) -> None:
        if self.how == "tmpfs":
            subprocess.run(["mount", "-o", "remount,rw", str(self.folder)], check=True)
        else:
            self.free()

    def _inject(self, code: int) -> None:
        import kfwizard.session as session_module

        self._original = session_module.atomic_write_text

        def failing_write(path: Path, text: str, mode: int = 0o600) -> None:
            raise OSError(code, os.strerror(code), str(path))

        self.monkeypatch.setattr(session_module, "atomic_write_text", failing_write)

    def close(self) -> None:
        if self.mounted:
            keep = self.tmp / "sessions-after"
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(self.folder, keep, ignore=shutil.ignore_patterns("filler"))
            subprocess.run(["umount", "-l", str(self.folder)], check=False)
            self.mounted = False
            for item in keep.iterdir():
                if item.is_file():
                    shutil.copy2(item, self.folder / item.name)
        with contextlib.suppress(OSError):
            self.folder.chmod(0o700)


@pytest.fixture
def sessions_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SessionsFolder]:
    folder = SessionsFolder(harness.sessions_dir(), tmp_path, monkeypatch)
    yield folder
    folder.close()


def test_a_full_disk_when_a_run_starts_is_a_clear_error_and_loses_nothing(
    stack: Any, answers: Path, sessions_folder: SessionsFolder
) -> None:
    session_id, path = new_session(answers)
    before = path.read_bytes()
    sessions_folder.make_full()

    code, out, err = cli("run", "--session", session_id, "--until", "project")
    assert code == 1, out + err
    text = out + err
    assert f"Could not save session {session_id}" in text, text
    assert "previous copy is intact" in text
    if sessions_folder.how != "chmod":
        assert "No space left on device" in text, text
    assert "Traceback" not in text
    assert path.read_bytes() == before
    assert [p.name for p in sessions_folder.folder.glob(".*.tmp")] == []

    # A new session on the full disk: refused just as clearly (its lock file may or may
    # not fit; either way one line names the session and the reason).
    other = harness.write_answers(sessions_folder.tmp, "other.yaml", env="platform-agnostic")
    other.write_text(other.read_text().replace("name: reliability", "name: other"))
    code, out, err = cli("run", "--answers", str(other), "--until", "project")
    text = out + err
    assert code == 1 and "Traceback" not in text, text
    assert re.search(r"(Could not save|Cannot lock) session \S+ (to|in) ", text), text

    sessions_folder.free()
    code, out, err = cli("run", "--session", session_id)
    assert code == 0, out + err
    harness.assert_installed(stack, sessions_folder.tmp, session_id)


def test_a_disk_that_fills_during_a_step_fails_the_run_and_the_resume_finishes(
    stack: Any, answers: Path, sessions_folder: SessionsFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up just as the cluster step starts: the save of its 'running'
    record fails, so the run stops before creating anything, says why, keeps the last
    good copy; once space is freed the resume installs everything. (A real tmpfs filled
    to the last block when this process may mount one; an injected ENOSPC otherwise.)"""
    import kfwizard.session as session_module

    session_id, _ = new_session(answers)
    sessions_folder.how = "tmpfs" if sessions_folder.mount() else "inject"
    original = session_module.atomic_write_text
    full = False

    def fill_then_write(target: Path, text: str, mode: int = 0o600) -> None:
        nonlocal full
        data = json.loads(text)
        if (data.get("steps", {}).get("cluster") or {}).get("state") == "running":
            full = True
            if sessions_folder.how == "tmpfs":
                sessions_folder.fill()
        if full and sessions_folder.how == "inject":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        original(target, text, mode)

    monkeypatch.setattr(session_module, "atomic_write_text", fill_then_write)
    code, out, err = cli("run", "--session", session_id)
    assert code == 1, out + err
    assert re.search(r"==> failed at cluster: Could not save session .*No space left", out), out
    saved = harness.read_session(session_id)
    assert saved["steps"]["services"]["state"] == "done"
    assert saved["steps"].get("cluster", {}).get("state") in ("pending", None)
    assert harness.list_clusters(stack) == [], "a cluster was created without a record"
    assert [p.name for p in sessions_folder.folder.glob(".*.tmp")] == []

    monkeypatch.setattr(session_module, "atomic_write_text", original)
    if sessions_folder.how == "tmpfs":
        sessions_folder.free()
    code, out, err = cli("run", "--session", session_id)
    assert code == 0, out + err
    harness.assert_installed(stack, sessions_folder.tmp, session_id)


def test_a_read_only_sessions_folder_is_a_clear_error(
    stack: Any, answers: Path, sessions_folder: SessionsFolder
) -> None:
    session_id, path = new_session(answers)
    before = path.read_bytes()
    sessions_folder.make_read_only()

    code, out, err = cli("run", "--session", session_id, "--until", "project")
    text = out + err
    assert code == 1, text
    assert "Traceback" not in text
    assert re.search(rf"(Could not save|lock).*{session_id}|{session_id}.*(lock|save)", text), text
    assert path.read_bytes() == before
    code, out, _ = cli("sessions", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [session_id]


# -- two processes, one session ----------------------------------------------------------------


def test_a_second_process_on_a_running_session_is_refused_and_nothing_is_lost(
    tmp_path: Path, emulators: Any, answers: Path
) -> None:
    emulator = emulators(speed=0.1)
    first = harness.start_run(tmp_path, emulator, ["--answers", str(answers)])
    first.wait_for(r"^==> \[cluster\]")
    session_id = harness.session_id_of(first)

    for args in (
        ["--session", session_id],
        ["--answers", str(answers)],  # finds the same session
    ):
        second = harness.run_to_end(tmp_path, emulator, args, label="second")
        assert second.popen.returncode == 1, second.tail()
        assert (
            f"Session {session_id} is open in another kfwizard process (pid {first.pid})"
            in second.err
        ), second.err
        assert "Traceback" not in second.err

    teardown = harness.Proc(
        [sys.executable, "-m", "kfwizard", "teardown", "--session", session_id, "--yes"],
        harness.child_env(tmp_path, emulator.env),
        tmp_path,
        "teardown",
    )
    assert teardown.wait(60) == 1, teardown.tail()
    assert "open in another kfwizard process" in teardown.err

    assert first.wait() == 0, first.tail()
    harness.assert_installed(emulator, tmp_path, session_id)
