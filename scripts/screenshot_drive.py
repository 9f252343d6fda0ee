"""Small Pilot helpers for driving the real wizard: wait on conditions, never on time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


async def wait_for(
    pilot: Any, predicate: Callable[[], Any], *, timeout: float = 30.0, what: str = "condition"
) -> None:
    """Poll ``predicate`` between short pauses until it is true."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await pilot.pause(0.02)


async def screen_ready(pilot: Any, screen_type: type, timeout: float = 30.0) -> Any:
    """Wait until a screen of ``screen_type`` is shown with its fields filled."""
    app = pilot.app
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, screen_type) and getattr(app.screen, "ready", True),
        timeout=timeout,
        what=f"{screen_type.__name__}",
    )
    return app.screen


async def run_step(pilot: Any, expect: str = "done", timeout: float = 60.0) -> Any:
    """Press the primary action (ctrl+n) and wait for the run to end in ``expect``."""
    screen = pilot.app.screen
    before = screen.last_result
    await pilot.press("ctrl+n")
    await wait_for(
        pilot,
        lambda: screen.last_result is not None and screen.last_result is not before,
        timeout=timeout,
        what=f"the {type(screen).__name__} run",
    )
    result = screen.last_result
    if result.state != expect:
        raise AssertionError(f"{type(screen).__name__}: expected {expect}, got {result}")
    return result


async def next_screen(pilot: Any, screen_type: type) -> Any:
    """Press ctrl+n on a finished step and wait for the next screen."""
    await pilot.press("ctrl+n")
    return await screen_ready(pilot, screen_type)
