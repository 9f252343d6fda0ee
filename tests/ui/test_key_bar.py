"""The key bar shows the screen's keys as they change, and a click on a key presses it."""

from __future__ import annotations

from typing import Any

from kfwizard.dialogs.help import HelpDialog
from kfwizard.screens.install import InstallScreen
from kfwizard.widgets.key_bar import KeyBar, ShownKey, arrange, shown_keys
from kfwizard.widgets.log_pane import LogPane
from tests.ui.helpers import (
    READY_FOR_INSTALL,
    PlanApp,
    WaitingStep,
    save_session,
    wait_for,
    wait_for_screen,
)


def key(description: str, *, palette: bool = False, enabled: bool = True) -> ShownKey:
    return ShownKey("x", "^x", description, enabled, "", palette=palette)


def test_keys_that_do_not_fit_are_left_off_whole() -> None:
    keys = (key("Next"), key("Back"), key("Copy cmds"), key("palette", palette=True))
    # " ^x Next " is 9 cells, " ^x Back " 9, " ^x Copy cmds " 14, " ^x palette " 12 (+1 rule)
    assert [(start, k.description) for start, k in arrange(keys, 80)] == [
        (0, "Next"),
        (9, "Back"),
        (18, "Copy cmds"),
        (68, "palette"),
    ]
    assert [k.description for _, k in arrange(keys, 40)] == ["Next", "Back", "palette"]
    assert [k.description for _, k in arrange(keys, 12)] == ["Next"]


def line(bar: KeyBar) -> str:
    return "".join(segment.text for segment in bar.render_lines(bar.region.reset_offset)[0])


def descriptions(bar: KeyBar) -> list[str]:
    return [k.description for k in bar.keys]


async def settle(pilot: Any) -> None:
    for _ in range(3):
        await pilot.pause()


async def test_keys_follow_a_run(store: Any) -> None:
    save_session(store, "s-keys", phase_steps=READY_FOR_INSTALL)
    plans = {"install": [WaitingStep("apply", "Apply manifests")]}
    app = PlanApp(plans, store=store, session_id="s-keys")
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        bar = screen.query_one(KeyBar)
        await settle(pilot)
        assert bar.keys == shown_keys(screen)
        assert "Cancel run" not in descriptions(bar)
        assert "^n Next" in line(bar) and line(bar).rstrip().endswith("^p palette")

        await pilot.press("ctrl+n")
        log = screen.query_one(LogPane)
        await wait_for(pilot, lambda: "waiting for apply 4" in log.lines, description="the log")
        await settle(pilot)
        assert bar.keys == shown_keys(screen)
        assert "Cancel run" in descriptions(bar)
        assert "^x Cancel run" in line(bar)

        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: screen.last_result is not None, description="the cancel")
        await settle(pilot)
        assert bar.keys == shown_keys(screen)
        assert "Cancel run" not in descriptions(bar)
        assert "Cancel run" not in line(bar)


async def test_a_click_presses_the_key_and_hover_names_it(store: Any) -> None:
    save_session(store, "s-keys-click", phase_steps=READY_FOR_INSTALL)
    app = PlanApp({}, store=store, session_id="s-keys-click")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        bar = screen.query_one(KeyBar)
        await settle(pilot)
        start, help_key = next(
            (start, k) for start, k in arrange(bar.keys, bar.size.width) if k.key == "f1"
        )
        await pilot.hover(KeyBar, offset=(start + 2, 0))
        assert bar.tooltip == help_key.tooltip == "What happens here and why"
        await pilot.hover(KeyBar, offset=(bar.size.width - 20, 0))  # between the keys
        assert bar.tooltip is None

        await pilot.click(KeyBar, offset=(start + 2, 0))
        await wait_for(pilot, lambda: isinstance(app.screen, HelpDialog), description="help")


async def test_the_log_keys_name_what_they_do_and_help_stays_at_80_columns(store: Any) -> None:
    """With the log focused the bar said "f Follow" while the log followed (f paused
    it), never named w, and at 80 columns left off "^q Quit" and "f1 Help"."""
    save_session(store, "s-keys-log", phase_steps=READY_FOR_INSTALL)
    plans = {"install": [WaitingStep("apply", "Apply manifests")]}
    app = PlanApp(plans, store=store, session_id="s-keys-log")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        bar = screen.query_one(KeyBar)
        log = screen.query_one(LogPane)
        log.focus()
        await settle(pilot)
        assert line(bar).startswith(" f Pause  w Unwrap  s Save  ^n Next  esc Back ")
        assert "^q Quit  f1 Help " in line(bar) and line(bar).rstrip().endswith("^p palette")

        await pilot.press("f")
        await settle(pilot)
        assert not log.following and line(bar).startswith(" f Follow  w Unwrap ")
        await pilot.press("f", "w")
        await settle(pilot)
        assert log.following and not log.wrap and line(bar).startswith(" f Pause  w Wrap ")
        await pilot.press("w")
        await settle(pilot)
        assert log.wrap and line(bar).startswith(" f Pause  w Unwrap ")

        # While a step runs, ^x Cancel run takes the room of Next and Back.
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: "waiting for apply 4" in log.lines, description="the log")
        log.focus()
        await settle(pilot)
        assert "^x Cancel run" in line(bar) and "f1 Help" in line(bar), line(bar)
        assert line(bar).startswith(" f Pause  w Unwrap  s Save  ^x Cancel run "), line(bar)
        screen.action_cancel_run()
        await wait_for(pilot, lambda: not app.run_in_progress(), description="the stop")


def test_keys_that_matter_least_are_left_off_first() -> None:
    def bound(description: str, action: str) -> ShownKey:
        return ShownKey("x", "^x", description, True, "", action=action)

    keys = (
        bound("Pause", "pause"),
        bound("Save", "save"),
        bound("Next", "next"),
        bound("Copy cmds", "copy_commands"),
        bound("Quit", "quit"),
        bound("Help", "help"),
    )
    assert len(arrange(keys, 60)) == 6, "all fit"
    fits = [k.description for _, k in arrange(keys, 59)]
    assert fits == ["Pause", "Save", "Next", "Quit", "Help"]
    assert [k.description for _, k in arrange(keys, 40)] == ["Pause", "Next", "Quit", "Help"]
    assert [k.description for _, k in arrange(keys, 20)] == ["Quit", "Help"]
    assert [k.description for _, k in arrange(keys, 10)] == ["Help"]
