"""Opening the log restyles only the widgets whose rules read the screen's log classes,
and leaves every widget styled exactly as a restyle of the whole screen would."""

from __future__ import annotations

from typing import Any

import pytest

from kfwizard.screens.base import WizardScreen
from kfwizard.screens.install import InstallScreen
from kfwizard.screens.project import ProjectScreen
from tests.ui.helpers import READY_FOR_INSTALL, PlanApp, save_session, wait_for


def styles(screen: WizardScreen) -> dict[Any, str]:
    return {node: node.styles.css for node in screen.walk_children(with_self=True)}


@pytest.mark.parametrize("width", [120, 80])
@pytest.mark.parametrize(
    ("steps", "screen_type"), [(READY_FOR_INSTALL, InstallScreen), ({}, ProjectScreen)]
)
async def test_show_log_styles_as_a_full_restyle(
    store: Any, width: int, steps: dict[str, str], screen_type: type
) -> None:
    save_session(store, "s-log", phase_steps=steps)
    app = PlanApp({}, store=store, session_id="s-log")
    async with app.run_test(size=(width, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, screen_type) and app.screen.ready)  # type: ignore[attr-defined]
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        await pilot.pause()
        before = styles(screen)
        screen.show_log()
        shown = styles(screen)
        if screen_type is not InstallScreen or screen.has_class("-wide"):
            # (a narrow Install screen shows its log from the start)
            assert shown != before, "opening the log changes some widget's styles"
        screen.update_node_styles()  # what a class change on the screen restyles
        assert styles(screen) == shown
        await pilot.pause()
        assert screen.query_one("#side").display
