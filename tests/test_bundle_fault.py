"""`kfwizard --fault NAME bundle`: on a demo session the emulators start with the fault,
so the bundle holds the rehearsed failure; on a real one the flag is refused (exit 2),
not dropped without a word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kfwizard.cli import main
from kfwizard.session import Session, SessionStore
from tests.test_bundle_cluster import _demo_session, _kubeconfig_session, _members, _refusing


def test_fault_on_a_demo_session_is_rehearsed_in_the_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``kfwizard --fault crashloop-api-server bundle`` starts the demo's emulators with
    the fault, so the bundle holds the rehearsed failure (it was silently ignored)."""
    session_id = _demo_session(capsys)
    healthy, broken = tmp_path / "healthy.tar.gz", tmp_path / "broken.tar.gz"
    assert main(["bundle", "--session", session_id, "--output", str(healthy)]) == 0
    assert (
        main(
            [
                "--fault",
                "crashloop-api-server",
                "bundle",
                "--session",
                session_id,
                "--output",
                str(broken),
            ]
        )
        == 0
    )

    def crashing(bundle: Path) -> list[str]:
        found = json.loads(_members(bundle)["diagnoses.json"])
        return [d["subject"] for d in found if "ml-pipeline" in d["subject"]]

    assert crashing(healthy) == []
    assert crashing(broken), _members(broken)["diagnoses.json"]


def test_fault_on_a_real_session_or_an_unknown_fault_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _refusing() as port:
        session = _kubeconfig_session(tmp_path, port)
    bundle = tmp_path / "b.tar.gz"
    args = ["bundle", "--session", session.id, "--output", str(bundle)]
    assert main(["--fault", "crashloop-api-server", *args]) == 2
    err = capsys.readouterr().err
    assert "--fault: only works with a demo session" in err
    assert "far is a real one" in err
    assert not bundle.exists()

    demo = Session.new(name="demo-one", demo=True)
    SessionStore().save(demo)
    assert main(["--fault", "no-such-fault", "bundle", "--session", demo.id]) == 2
    assert "--fault: " in capsys.readouterr().err
