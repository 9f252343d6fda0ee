"""Fixtures for the reliability tests: external emulator processes (stopped at the end of
each test, even when it fails) and a per-test answers file for the 2.17.0 fixture."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import harness


@pytest.fixture(autouse=True)
def _no_leftover_processes() -> Iterator[None]:
    """A test that fails half-way must not leave a `kfwizard run` behind."""
    yield
    harness.kill_leftovers()


@pytest.fixture
def emulators(tmp_path: Path) -> Iterator[Callable[..., harness.Emulator]]:
    """``emulators(speed=..., args=[...])`` starts a ``kfwizard emulator`` process."""
    if not harness.KFP_2170.is_dir():
        pytest.skip(f"shared fixtures not found next to the project ({harness.KFP_2170})")
    started: list[harness.Emulator] = []

    def start(**kwargs: Any) -> harness.Emulator:
        emulator = harness.Emulator(tmp_path, **kwargs)
        started.append(emulator)
        return emulator.start()

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    """An answers file for the 2.17.0 platform-agnostic install from the shared fixture."""
    return harness.write_answers(tmp_path)
