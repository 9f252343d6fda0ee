"""The command-line contract: version, where, sessions, exit codes for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kfwizard import __version__
from kfwizard.cli import main
from kfwizard.session import Session, SessionStore


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"kfwizard {__version__}"


def test_where_lists_every_folder(capsys: pytest.CaptureFixture[str], kfwizard_home: Path) -> None:
    assert main(["--where"]) == 0
    out = capsys.readouterr().out
    for name in ("state", "sessions", "log", "cache", "data", "config"):
        assert f"{name} " in out
    assert str(kfwizard_home) in out


def test_sessions_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions"]) == 0
    assert "No sessions yet" in capsys.readouterr().out
    store = SessionStore()
    session = Session.new(name="first-kfp")
    session.record("credentials", "running")
    session.record("credentials", "done")
    session.record("cluster", "running")
    session.record("cluster", "failed", "zone stockout")
    session.status = "failed"
    store.save(session)
    assert main(["sessions"]) == 0
    out = capsys.readouterr().out
    assert "first-kfp" in out and "Cluster" in out and "failed" in out and session.id in out
    assert main(["sessions", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert (
        rows[0]["id"] == session.id
        and rows[0]["step"] == "Cluster"
        and rows[0]["status"] == "failed"
    )


def test_sessions_reports_a_corrupt_file(capsys: pytest.CaptureFixture[str]) -> None:
    store = SessionStore()
    store.folder.mkdir(parents=True)
    (store.folder / "20260101-0000-0bad.json").write_text("{nope")
    assert main(["sessions"]) == 0
    err = capsys.readouterr().err
    assert "20260101-0000-0bad.json could not be used" in err and "set-aside" in err


def test_unknown_option_is_exit_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--no-such-flag"])
    assert exc.value.code == 2


def test_run_with_bad_until_names_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("project: my-project\n")
    assert main(["run", "--answers", str(answers), "--until", "bogus"]) == 2
    assert "--until" in capsys.readouterr().err


def test_run_with_missing_session_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--session", "20260101-0000-none"]) == 1
    assert "No session '20260101-0000-none'" in capsys.readouterr().err
