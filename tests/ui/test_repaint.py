"""What the terminal shows is what the screen holds: updates the app sends leave nothing
behind (a toast that has gone must not stay painted over the failure panel)."""

from __future__ import annotations

from typing import Any

from rich.segment import ControlType

from kfwizard.screens.install import InstallScreen
from tests.ui.helpers import (
    READY_FOR_INSTALL,
    FailingStep,
    PlanApp,
    save_session,
    wait_for,
    wait_for_panel,
    wait_for_screen,
)


def paint(grid: list[list[str]], update: Any, console: Any) -> None:
    """Apply one compositor update to ``grid`` as a terminal would (cursor moves, text)."""
    x = y = 0
    for segment in update.__rich_console__(console, console.options):
        if segment.control:
            for code in segment.control:
                if code[0] == ControlType.CURSOR_MOVE_TO:
                    x, y = code[1], code[2]
            continue
        if segment.text == "\n":
            continue
        for char in segment.text:
            if 0 <= y < len(grid) and 0 <= x < len(grid[y]):
                grid[y][x] = char
            x += 1


class TerminalApp(PlanApp):
    """The app, keeping what a terminal would show: every update it sends, applied to a
    grid of characters (headless, the updates go nowhere)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grid: list[list[str]] = []

    def _display(self, screen: Any, renderable: Any) -> None:
        from textual._compositor import CompositorUpdate

        if isinstance(renderable, CompositorUpdate) and not self._batch_count:
            width, height = self.size
            if len(self.grid) != height or len(self.grid[0]) != width:
                self.grid = [[" "] * width for _ in range(height)]
            paint(self.grid, renderable, self.console)
        super()._display(screen, renderable)

    def terminal(self) -> str:
        return "\n".join("".join(row) for row in self.grid)

    def screen_text(self) -> str:
        """The whole screen as it is now, rendered afresh."""
        width, height = self.size
        grid = [[" "] * width for _ in range(height)]
        paint(grid, self.screen._compositor.render_update(full=True), self.console)
        return "\n".join("".join(row) for row in grid)


async def test_a_toast_that_has_gone_is_not_left_painted_over_the_failure_panel(store):
    """A toast up while a run fails: the panel scrolls into view, then the toast times
    out. Textual compared the layout after the toast's removal with one rebuilt after it
    too (a scroll had set the old one aside), so nothing was repainted and the toast's
    last picture hid the panel's cause and next action until a resize."""
    save_session(store, "s-toast", phase_steps=READY_FOR_INSTALL)
    app = TerminalApp({"install": [FailingStep("preflight", "Preflight checks")]}, store=store)
    app.requested_session_id = "s-toast"
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        app.notify("Deployment mode is done.", title="Done", timeout=1.0)
        await wait_for(pilot, lambda: "mode is done" in app.terminal(), description="toast")
        await pilot.press("ctrl+n")
        await wait_for_panel(pilot, screen)
        assert "mode is done" in app.terminal()  # still up: it outlives the run
        await wait_for(
            pilot,
            lambda: "mode is done" not in app.screen_text(),
            timeout=5,
            description="the toast gone from the screen",
        )
        await wait_for(
            pilot,
            lambda: app.terminal() == app.screen_text(),
            timeout=5,
            description="the terminal repainted where the toast was",
        )
        assert "Next: add a node" in app.terminal()
