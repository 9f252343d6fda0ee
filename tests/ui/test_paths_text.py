"""Paths are shown as they can be typed in another terminal: the demo's env.sh hint
read ". $KFWIZARD_HOME/data/demo-emulator/env.sh", which points nowhere where
KFWIZARD_HOME is not set (it was set for the wizard's command only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kfwizard.demo import shell_env_path
from kfwizard.widgets.paths_text import display_path


def test_the_env_file_is_shown_as_its_real_path(
    kfwizard_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KFWIZARD_UI_DETERMINISTIC", raising=False)
    shown = display_path(shell_env_path())
    assert "$" not in shown
    assert Path(shown).expanduser() == shell_env_path()
    assert Path(shown).expanduser().is_relative_to(kfwizard_home)


def test_the_home_folder_is_shown_as_a_tilde(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KFWIZARD_UI_DETERMINISTIC", raising=False)
    home = Path.home()
    assert display_path(home / "a" / "b.log") == "~/a/b.log"
    assert display_path("/elsewhere/x") == "/elsewhere/x"


def test_deterministic_rendering_keeps_snapshots_stable(
    kfwizard_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KFWIZARD_UI_DETERMINISTIC", "1")
    assert display_path(shell_env_path()) == "$KFWIZARD_HOME/data/demo-emulator/env.sh"
    sibling = f"{kfwizard_home}-other/x"
    assert display_path(sibling) == sibling, "only inside the folder, not a name prefix"
