"""UI test set-up: deterministic rendering, no cursor blink, a session store."""

from __future__ import annotations

from collections.abc import Iterator

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
