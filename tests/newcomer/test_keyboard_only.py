"""Project to Verify at 80x24 with the keys everyone knows: Enter, Tab, shift+Tab, arrows.

A newcomer should not need to learn ctrl+n or read the footer to finish the wizard:
every primary action has to be reachable by tabbing to it and pressing Enter. When a
control cannot be reached, the failure names it and the focus chain that was walked.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from textual.widget import Widget

from kfwizard.bridge import EngineBridge
from kfwizard.messages import RunFinished
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
            raise AssertionError(
                f"timed out after {timeout:.0f}s waiting for {what}; {where(pilot.app)}"
            )
        await pilot.pause(0.02)


def where(app: Any) -> str:
    """What the wizard showed when a wait timed out: the screen, its run and its Next
    button, and where the focus was, so a failure seen once says which path it took."""
    screen = app.screen
    state = f"on {type(screen).__name__}, focus on {describe(app.focused)}"
    buttons = screen.query("#next")
    if buttons:
        button = buttons.first()
        state += f", Next reads {str(button.label)!r} (disabled={button.disabled})"
    for name in ("ready", "dirty", "running"):
        if hasattr(screen, name):
            state += f", {name}={getattr(screen, name)}"
    result = getattr(screen, "last_result", None)
    if result is not None:
        state += f", last run {result.state}"
    return state + f", a run in progress: {app.run_in_progress()}"


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
    why = ""
    if target.disabled and not app.run_in_progress():
        why = " It is disabled although nothing runs: the nav was not refreshed after the run."
    raise AssertionError(
        f"{describe(target)} on {type(app.screen).__name__} cannot be reached with Tab "
        f"(disabled={target.disabled}, can_focus={target.can_focus}).{why} "
        f"Focus went: {' -> '.join(walked[:12])}"
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


async def test_next_is_reachable_when_the_worker_ends_after_its_message(
    demo_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker thread lingers after posting RunFinished (seen under load): the
    screen handles the message while the worker still reads RUNNING, and Next must be
    enabled all the same."""
    posted = EngineBridge.post_message

    def post_then_linger(self: EngineBridge, message: Any) -> bool:
        sent = posted(self, message)
        if isinstance(message, RunFinished):
            time.sleep(0.5)  # in the worker thread: it ends after the screen has reacted
        return sent

    monkeypatch.setattr(EngineBridge, "post_message", post_then_linger)
    app = demo_app
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, ProjectScreen) and app.screen.ready, 30, "Project"
        )
        screen = app.screen
        await activate_primary(pilot)
        await wait_for(pilot, lambda: screen.last_result is not None, 30, "the Project run")
        await wait_for(pilot, lambda: not app.run_in_progress(), 10, "the worker to end")
        assert screen.last_result.state == "done"
        await tab_to(pilot, "#next", limit=12)  # the Project screen's chain is 7 long
