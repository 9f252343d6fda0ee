"""`kfwizard bundle --output`: a file, or a folder to write into; never a traceback, and
never a folder made up from a typo."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from kfwizard.cli import main
from kfwizard.session import Session, SessionStore


@pytest.fixture
def session_name() -> str:
    SessionStore().save(Session.new(name="first-kfp"))
    return "first-kfp"


def test_a_folder_gets_the_bundle_under_its_default_name(
    tmp_path: Path, session_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bundle", "--session", session_name, "--output", str(tmp_path)]) == 0
    [written] = tmp_path.glob("kfwizard-bundle-*.tar.gz")
    assert f"written to {written}" in capsys.readouterr().out
    with tarfile.open(written) as tar:
        assert any(name.endswith("/session.json") for name in tar.getnames())


def test_a_missing_folder_is_named_and_not_created(
    tmp_path: Path, session_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no-such-dir" / "b.tgz"
    assert main(["bundle", "--session", session_name, "--output", str(target)]) == 2
    err = capsys.readouterr().err
    assert f"--output: the folder {target.parent} does not exist" in err
    assert not target.parent.exists()


def test_a_file_that_cannot_be_created_is_bad_input_not_a_traceback(
    tmp_path: Path, session_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    too_long = tmp_path / ("x" * 300 + ".tgz")
    assert main(["bundle", "--session", session_name, "--output", str(too_long)]) == 2
    assert "--output: cannot write" in capsys.readouterr().err
    under_a_file = tmp_path / "a-file"
    under_a_file.write_text("")
    assert main(["bundle", "--session", session_name, "--output", str(under_a_file / "b")]) == 2
    assert f"--output: {under_a_file} is a file, not a folder" in capsys.readouterr().err


def test_a_count_of_secrets_by_kind_is_kept_and_a_numeric_password_masked() -> None:
    """``objects_by_kind: {Secret: 2}`` read "********" in bundles: a count is not a
    secret. A password that YAML read as a number still is."""
    from kfwizard.bundle import scrub
    from kfwizard.engine.redact import MASK

    cleaned = scrub({"by_kind": {"Secret": 2, "Deployment": 14}, "db": {"password": 1234}})
    assert cleaned["by_kind"] == {"Secret": 2, "Deployment": 14}
    assert cleaned["db"]["password"] == MASK
