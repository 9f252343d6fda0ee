"""The footer updates its keys in place when a run starts and ends, and then looks and
acts exactly as a freshly built footer would."""

from __future__ import annotations

from typing import Any

from textual.widgets._footer import FooterKey

from kfwizard.screens.install import InstallScreen
from kfwizard.widgets.footer import WizardFooter
from kfwizard.widgets.log_pane import LogPane
from tests.ui.helpers import ChattyStep, PlanApp, WaitingStep, save_session, wait_for

READY_FOR_INSTALL = {
    "credentials": "done",
    "services": "done",
    "cluster": "done",
    "connect": "done",
    "manifests": "done",
}


def keys(footer: WizardFooter) -> list[tuple[Any, ...]]:
    return [
        (key.key, key.description, key.action, key._disabled, sorted(key.classes), key.tooltip)
        for key in footer.query(FooterKey)
    ]


async def settle(pilot: Any) -> None:
    for _ in range(4):
        await pilot.pause()


async def same_as_rebuilt(pilot: Any, footer: WizardFooter) -> list[tuple[Any, ...]]:
    """The footer as updated in place equals the footer recomposed from scratch, key by
    key and on screen; returns the keys."""
    await settle(pilot)
    shown, picture = keys(footer), pilot.app.export_screenshot()
    with footer._context():  # as Textual runs it: the keys bind to the footer
        await footer.recompose()
    await settle(pilot)
    assert keys(footer) == shown
    assert pilot.app.export_screenshot() == picture
    return shown


async def test_keys_follow_a_run_in_place(store: Any) -> None:
    save_session(store, "s-footer", phase_steps=READY_FOR_INSTALL)
    plans = {"install": [WaitingStep("apply", "Apply manifests")]}
    app = PlanApp(plans, store=store, session_id="s-footer")
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InstallScreen) and app.screen.ready)
        screen = app.screen
        assert isinstance(screen, InstallScreen)
        footer = screen.query_one(WizardFooter)
        before = await same_as_rebuilt(pilot, footer)
        mounted = set(footer.query(FooterKey))

        await pilot.press("ctrl+n")
        log = screen.query_one(LogPane)
        await wait_for(pilot, lambda: "waiting for apply 4" in log.lines, description="the log")
        during = await same_as_rebuilt(pilot, footer)
        assert any(key[2] == "cancel_run" for key in during)
        assert not any(key[2] == "cancel_run" for key in before)

        mounted = set(footer.query(FooterKey))
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: screen.last_result is not None, description="the cancel")
        await settle(pilot)
        assert mounted & set(footer.query(FooterKey)), "some keys were kept, not remounted"
        after = await same_as_rebuilt(pilot, footer)
        assert not any(key[2] == "cancel_run" for key in after)


async def test_keys_after_a_finished_run(store: Any) -> None:
    save_session(store, "s-footer-done", phase_steps=READY_FOR_INSTALL)
    plans = {"install": [ChattyStep("apply", "Apply manifests", 50)]}
    app = PlanApp(plans, store=store, session_id="s-footer-done")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, InstallScreen) and app.screen.ready)
        screen = app.screen
        assert isinstance(screen, InstallScreen)
        footer = screen.query_one(WizardFooter)
        await settle(pilot)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.last_result is not None, description="the run")
        after = await same_as_rebuilt(pilot, footer)
        assert [key[1] for key in after if key[2] == "next"] == ["Next"]
