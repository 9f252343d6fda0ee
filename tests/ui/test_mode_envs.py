"""Deployment mode's Environment: the demo offers what it can install, and a refused
env is named under its field as soon as it is chosen (real app, emulated GCP)."""

from __future__ import annotations

from textual.widgets import Select

from kfwizard.app import WizardApp
from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.mode import ModeScreen
from kfwizard.widgets.field import Field
from tests.ui.helpers import goto_screen, stack_env, wait_for, wait_for_screen

SIZE = (100, 32)


def offered(select: Select[str]) -> list[str]:
    return [str(value) for _, value in select._options]


async def test_the_demo_offers_only_the_envs_its_manifests_have(stack, store, tmp_path):
    """The demo offered env gcp, which its built-in manifests (KFP 2.17.0 standalone,
    env-platform-agnostic.yaml and env-dev.yaml) cannot install, and which 2.17.0
    refuses anyway (no object store), with no 2.14 to pick in the demo."""
    app = WizardApp(env=stack_env(stack, tmp_path), store=store, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await goto_screen(pilot, "mode", ModeScreen)
        assert offered(screen.query_one("#env", Select)) == ["platform-agnostic", "dev"]
        assert not screen.validate_fields(show=False)


async def test_a_refused_env_is_named_under_it_as_soon_as_it_is_chosen(stack, store, tmp_path):
    """Choosing env gcp on 2.17.0 said "1 field needs attention" and showed no message
    until ctrl+n, and then under Version. The rule is under Environment at once."""
    app = WizardApp(env=stack_env(stack, tmp_path), store=store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await goto_screen(pilot, "mode", ModeScreen)
        env = screen.query_one("#env", Select)
        assert "gcp" in offered(env)
        field = screen.query_one("#field-env", Field)
        env.value = "gcp"
        await wait_for(pilot, lambda: field.error is not None, timeout=5, description="env rule")
        assert (field.error or "").startswith("Environment: From 2.15.0 env/gcp has no object")
        assert screen.query_one("#field-version", Field).error is None
        assert "1 field needs attention" in str(screen.query_one("#nav-status").render())
        # Back on a return to the screen, the choice is kept and its rule named at once.
        await pilot.press("escape")
        await wait_for_screen(pilot, ClusterScreen)
        app.action_goto("mode")
        back = await wait_for_screen(pilot, ModeScreen)
        assert back is not screen and back.query_one("#env", Select).value == "gcp"
        assert (back.query_one("#field-env", Field).error or "").startswith("Environment:")
        back.query_one("#env", Select).value = "platform-agnostic"
        cleared = back.query_one("#field-env", Field)
        await wait_for(pilot, lambda: cleared.error is None, timeout=5, description="cleared")
