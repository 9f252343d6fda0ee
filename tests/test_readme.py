"""The README's promises stay true: CI runs its test command, and the commands it lists exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [
        line
        for line in re.findall(r"```bash\n(.*?)```", section, re.S)
        for line in line.splitlines()
        if line and not line.startswith("#")
    ]


def test_quick_start_is_two_commands_and_ci_runs_the_test_one() -> None:
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    wizard, tests = commands
    assert "kfwizard --demo" in wizard
    assert "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_cli_command_in_the_table_exists() -> None:
    from kfwizard.cli import COMMANDS

    table = README.split("## Command line", 1)[1].split("\n## ", 1)[0]
    for command in re.findall(r"`kfwizard ([a-z]+)", table):
        assert command in COMMANDS, command
