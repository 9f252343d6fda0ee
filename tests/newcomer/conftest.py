"""The demo emulators at speed 0 and the wizard on them, as `kfwizard --demo` starts it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Input


@pytest.fixture
def demo() -> Iterator[Any]:
    """`start_demo` at speed 0 (instant) in this test's KFWIZARD_HOME."""
    from kfwizard.demo import start_demo

    handle = start_demo(faults=[], speed=0.0)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def demo_app(demo: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`WizardApp(demo=True)` with the environment `kfwizard --demo` builds.

    Deterministic rendering and no cursor blink, so a failure's screenshot is readable.
    """
    from kfwizard.app import WizardApp

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    env = {**os.environ, **demo.env, "KFWIZARD_UI_DETERMINISTIC": "1"}
    return WizardApp(demo=True, env=env)
