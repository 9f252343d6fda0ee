"""Project to Verify at 80x24 with the keys everyone knows: Enter, Tab, shift+Tab, arrows.

A newcomer should not need to learn ctrl+n or read the footer to finish the wizard:
every primary action has to be reachable by tabbing to it and pressing Enter. When a
control cannot be reached, the failure names it and the focus chain that was walked.
"""

from __future__ import annotations

import time
from typing import Any

from textual.widget import Widget

from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.install import InstallScreen
from kfwizard.screens.mode import ModeScreen
from kfwizard.screens.project import ProjectScreen
from kfwizard.screens.verify import VerifyScreen

ALLOWED_KEYS = frozenset({"enter", "tab", "shift+tab", "up", "down", "left", "right"})
STEPS = (
    (ProjectScreen, 30),
    (ClusterScreen, 60),
    (ModeScreen, 60),
    (InstallScreen, 120),
    (VerifyScreen, 60),
)


async def press(pilot: Any, key: str) -> None:
    """Press one key, refusing anything but the keys this test is about."""
    assert key in ALLOWED_KEYS, f"{key!r} is not a key a newcomer is assumed to know"
    await pilot.press(key)


async def wait_for(pilot: Any, predicate: Any, timeout: float, what: str) -> None:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await pilot.pause(0.02)


def describe(widget: Widget | None) -> str:
    if widget is None:
        return "nothing"
    label = getattr(widget, "label", None)
    name = f"{type(widget).__name__}#{widget.id}" if widget.id else type(widget).__name__
    return f"{name} {str(label)!r}" if label is not None else name


async def tab_to(pilot: Any, selector: str, limit: int = 40) -> None:
    """Tab until the widget matching ``selector`` has the focus, or fail saying why."""
    app = pilot.app
    target = app.screen.query_one(selector)
    walked: list[str] = []
    for _ in range(limit):
        if app.focused is target:
            return
        await press(pilot, "tab")
        walked.append(describe(app.focused))
    raise AssertionError(
        f"{describe(target)} on {type(app.screen).__name__} cannot be reached with Tab "
        f"(disabled={target.disabled}, can_focus={target.can_focus}); "
        f"focus went: {' -> '.join(walked[:20])}"
    )


async def activate_primary(pilot: Any) -> None:
    """Tab to the primary button and press Enter."""
    await tab_to(pilot, "#next")
    await press(pilot, "enter")


async def test_project_to_verify_with_enter_tab_and_arrows(demo_app: Any) -> None:
    app = demo_app
    async with app.run_test(size=(80, 24)) as pilot:
        for index, (screen_type, timeout) in enumerate(STEPS):
            await wait_for(
                pilot,
                lambda t=screen_type: isinstance(app.screen, t) and app.screen.ready,
                30,
                f"{screen_type.__name__} (Enter on the previous step's Next button)",
            )
            screen = app.screen
            await activate_primary(pilot)
            await wait_for(
                pilot,
                lambda s=screen: s.last_result is not None,
                timeout,
                f"the {screen_type.__name__} run started with Enter",
            )
            assert screen.last_result.state == "done", (screen_type.__name__, screen.last_result)
            if index + 1 < len(STEPS):
                await activate_primary(pilot)  # "Next: ... →"
        verify = app.screen
        assert isinstance(verify, VerifyScreen)
        session = app.store.load(app.session.id)
        assert session.status == "done"
        assert session.steps["verify"].state == "done"
        assert session.outputs["verify"]["api"]["tag_name"] == "2.17.0"
