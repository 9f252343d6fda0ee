"""Every choice on the form screens shows clearly when it has the focus: a compact
Select's own focus style is a 5% tint (colour 234 to 235), so Tab seemed to skip the
Version and Environment selects while Enter opened them."""

from __future__ import annotations

from typing import Any

from textual.widget import Widget
from textual.widgets import RadioSet, Select

from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.mode import ModeScreen
from kfwizard.screens.project import ProjectScreen
from tests.ui.helpers import READY_FOR_INSTALL, PlanApp, save_session, wait_for, wait_for_screen


def shown_colours(widget: Widget) -> set[tuple[int, int, int]]:
    """The background colours painted in the widget's region, as the screen shows them."""
    region = widget.region
    colours = set()
    for y in range(region.y, region.bottom):
        for x in range(region.x, region.right):
            bgcolor = widget.screen.get_style_at(x, y).bgcolor
            if bgcolor is not None:
                colours.add(bgcolor.get_truecolor())
    return colours


def far_apart(a: set[Any], b: set[Any]) -> bool:
    """Some colour of ``a`` differs from every colour of ``b`` by more than a tint."""

    def distance(x: Any, y: Any) -> int:
        return sum(abs(p - q) for p, q in zip(x, y, strict=True))

    return any(all(distance(ca, cb) > 60 for cb in b) for ca in a)


async def looks_focused(pilot: Any, widget: Widget) -> None:
    widget.screen.set_focus(None)
    widget.scroll_visible(animate=False)
    await pilot.pause()
    blurred = shown_colours(widget)
    widget.focus()
    await pilot.pause()
    focused = shown_colours(widget)
    assert far_apart(focused, blurred), f"{widget.id}: focus changes {blurred} to {focused}"


async def test_the_mode_choices_show_focus(store: Any) -> None:
    save_session(store, "s-mode-focus", phase_steps={**READY_FOR_INSTALL, "manifests": "pending"})
    app = PlanApp({}, store=store, session_id="s-mode-focus", demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, ModeScreen)
        await wait_for(pilot, lambda: screen.ready)
        for widget in (*screen.query(Select), *screen.query(RadioSet)):
            await looks_focused(pilot, widget)


async def test_the_cluster_choices_show_focus(store: Any) -> None:
    save_session(store, "s-cluster-focus", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({}, store=store, session_id="s-cluster-focus", demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_for_screen(pilot, ClusterScreen)
        await wait_for(pilot, lambda: screen.ready)
        shown = [w for w in (*screen.query(Select), *screen.query(RadioSet)) if w.region.area]
        assert sorted(str(w.id) for w in shown) == ["machine_type", "source"]
        for widget in shown:
            await looks_focused(pilot, widget)


async def test_the_project_choice_shows_focus(store: Any) -> None:
    save_session(store, "s-project-focus")
    app = PlanApp({}, store=store, session_id="s-project-focus", demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, ProjectScreen)
        await wait_for(pilot, lambda: screen.ready)
        await looks_focused(pilot, screen.query_one("#services", RadioSet))
