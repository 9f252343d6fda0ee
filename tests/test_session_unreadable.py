"""Session files kfwizard cannot read: another user's (left by ``sudo kfwizard``), or not
a file. Each is skipped and named, never fatal for the other sessions, and left where it
is (nothing says it is damaged); a sessions folder that cannot be read says so (exit 1),
not "No sessions yet".

The tests run as root, where permissions do not stop a read: a directory named like a
session file (EISDIR) and a sessions "folder" that is a file (ENOTDIR) take the same
paths, and one test drops to the ``nobody`` user (setpriv) for the real EACCES.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kfwizard import paths
from kfwizard.cli import main
from kfwizard.session import Session, SessionError, SessionNotFound, SessionStore
from tests.conftest import PROJECT_ROOT


def _saved(name: str, session_id: str) -> Session:
    session = Session.new(name=name)
    session.id = session_id
    SessionStore().save(session)
    return session


def test_an_unreadable_file_is_named_and_the_others_listed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = _saved("good", "20260101-0000-good")
    odd = SessionStore().folder / "20260101-0000-0dd0.json"
    odd.mkdir()  # open() fails (EISDIR), as for another user's file (EACCES)

    for argv in (["sessions"], ["sessions", "--json"]):
        assert main(argv) == 0, argv
        out, err = capsys.readouterr()
        assert good.id in out and "0dd0" not in out
        assert f"Cannot read session file 20260101-0000-0dd0.json in {odd.parent}" in err
        assert "(Is a directory); it was skipped and left where it is" in err
    assert odd.is_dir(), "not moved: nothing says it is damaged"
    assert not (odd.parent / "set-aside").exists()

    store = SessionStore()
    assert store.resolve("good") == good.id
    assert [s.id for s in store.list()] == [good.id]
    assert main(["run", "--session", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert "No session 'nosuch'" in err
    assert "Skipped, as they cannot be read: 20260101-0000-0dd0.json (Is a directory)" in err
    assert "Traceback" not in err
    assert main(["bundle", "--session", "20260101-0000-0dd0"]) == 1
    err = capsys.readouterr().err
    assert "kfwizard: Cannot read session file 20260101-0000-0dd0.json" in err, err


def test_a_sessions_folder_that_cannot_be_read_is_named_not_empty(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = paths.sessions_dir()
    folder.parent.mkdir(parents=True)
    folder.write_text("not a folder")  # listdir fails (ENOTDIR), as for EACCES

    for argv in (["sessions"], ["sessions", "--json"]):
        assert main(argv) == 1, argv
        out, err = capsys.readouterr()
        assert "No sessions yet" not in out and out.strip() in ("", "[]")
        assert f"kfwizard: Cannot read the sessions folder {folder} (Not a directory)" in err
    for argv in (["run", "--session", "demo"], ["teardown", "--session", "20260101"]):
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert f"Cannot read the sessions folder {folder}" in err and "Traceback" not in err


@pytest.fixture
def shared_home() -> Iterator[Path]:
    """A kfwizard home the ``nobody`` user can reach (pytest's tmp folders are 0700)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to act as another user")
    home = Path(tempfile.mkdtemp(prefix="kfw-nobody-"))
    home.chmod(0o755)
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_another_users_file_and_folder_as_that_user_sees_them(
    shared_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tester's case for real: a mode-000 root file among ``nobody``'s sessions."""
    monkeypatch.setenv("KFWIZARD_HOME", str(shared_home / "kfw"))
    good = _saved("good", "20260101-0000-good")
    _saved("root-run", "20260101-0000-root")
    folder = SessionStore().folder
    shutil.chown(shared_home / "kfw", user="nobody")
    for path in [folder.parent, folder, *folder.iterdir()]:
        shutil.chown(path, user="nobody")
    shutil.chown(folder / "20260101-0000-root.json", user="root")
    (folder / "20260101-0000-root.json").chmod(0)

    def as_nobody(*argv: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KFWIZARD_HOME": str(shared_home / "kfw")}
        env["HOME"] = str(shared_home)
        nobody = pwd.getpwnam("nobody")
        drop = [f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
        return subprocess.run(
            ["setpriv", *drop, sys.executable, "-m", "kfwizard", *argv],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    listed = as_nobody("sessions", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [row["id"] for row in json.loads(listed.stdout)] == [good.id]
    assert "Cannot read session file 20260101-0000-root.json" in listed.stderr
    assert "(Permission denied)" in listed.stderr and "sudo kfwizard" in listed.stderr
    found = as_nobody("run", "--session", "root-run")
    assert found.returncode == 2, found.stderr
    assert "Skipped, as they cannot be read: 20260101-0000-root.json" in found.stderr

    folder.chmod(0)
    for argv in (("sessions",), ("run", "--session", "good")):
        done = as_nobody(*argv)
        assert done.returncode == 1, (argv, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and "No sessions yet" not in done.stdout
        assert f"Cannot read the sessions folder {folder} (Permission denied)" in done.stderr


def test_loading_from_a_folder_that_cannot_be_searched_is_a_session_error() -> None:
    folder = paths.sessions_dir()
    folder.parent.mkdir(parents=True)
    folder.write_text("")
    with pytest.raises(SessionNotFound):
        SessionStore().load("20260101-0000-abcd")  # ENOTDIR: nothing there
    with pytest.raises(SessionError, match="Cannot read the sessions folder"):
        SessionStore().resolve("20260101-0000-abcd")
