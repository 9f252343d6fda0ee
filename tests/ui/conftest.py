"""UI test set-up: deterministic rendering, no cursor blink, a session store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Input

from kfwizard.session import SessionStore


@pytest.fixture(autouse=True)
def deterministic_ui(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fixed theme, no animation, no ticking clocks, no blinking cursor."""
    monkeypatch.setenv("KFWIZARD_UI_DETERMINISTIC", "1")
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    yield


@pytest.fixture
def store() -> SessionStore:
    return SessionStore()


@pytest.fixture
def stack() -> Iterator[Any]:
    """The loopback emulators (GKE, Service Usage, Kubernetes) at full speed."""
    from kfwizard.emulator.stack import EmulatorStack

    with EmulatorStack(project="kfwizard-ui-test", speed=0.0) as running:
        yield running
