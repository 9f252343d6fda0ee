"""The price of a new cluster is on the line of the button that creates it: at 80x24
the estimate card is below the fold."""

from __future__ import annotations

from textual.widgets import Button, Input, Static

from kfwizard.screens.cluster import ClusterScreen
from tests.ui.helpers import PlanApp, save_session, wait_for, wait_for_screen


def nav_status(screen: ClusterScreen) -> str:
    return str(screen.query_one("#nav-status", Static).render())


async def test_the_create_button_has_the_price_beside_it_at_80x24(store):
    save_session(store, "s-price", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({}, store=store, session_id="s-price")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, ClusterScreen)
        assert str(screen.query_one("#next", Button).label) == "Create cluster"
        assert nav_status(screen) == "✓ fits · ≈ $0.39/hour, about $281/month"
        card = screen.query_one("#cost", Static)
        assert "≈ $0.39/hour" in str(card.render())
        assert card.region.y >= screen.query_one("#nav").region.y  # below the fold
        nodes = screen.query_one("#nodes", Input)
        nodes.value = "1"
        await wait_for(
            pilot,
            lambda: nav_status(screen) == "✓ fits · ≈ $0.20/hour, about $142/month",
            description="the price following the node count",
        )
        nodes.value = ""
        await wait_for(pilot, lambda: "attention" in nav_status(screen), description="no count")
