"""``--session`` values: an empty one is bad input (exit 2), and any name the answers file
and the Project screen accept finds its session, as the README says names do."""

from __future__ import annotations

from pathlib import Path

import pytest

from kfwizard.cli import main
from kfwizard.session import Session, SessionNotFound, SessionStore


def _saved(name: str, session_id: str) -> Session:
    session = Session.new(name=name)
    session.id = session_id
    SessionStore().save(session)
    return session


@pytest.mark.parametrize("command", ["run", "teardown", "bundle"])
def test_an_empty_session_ref_is_bad_input(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--session", ""]) == 2
    err = capsys.readouterr().err
    assert "kfwizard: --session: is empty: give a session's id, its name" in err


@pytest.mark.parametrize("name", ["team/kfp", ".hidden", "two words"])
def test_any_name_the_answers_file_takes_finds_its_session(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README says names work; `team/kfp` was refused as "not a session id"."""
    session = _saved(name, "20260101-0000-abcd")
    assert SessionStore().resolve(name) == session.id
    bundle = tmp_path / "b.tar.gz"
    assert main(["bundle", "--session", name, "--output", str(bundle)]) == 0
    assert bundle.is_file()
    with pytest.raises(SessionNotFound, match="No session 'team/other'"):
        SessionStore().resolve("team/other")
