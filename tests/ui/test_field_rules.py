"""Field rules on the Cluster and Deployment mode screens, against the emulators:
a bad value gets its rule under its field at once, and nothing typed is lost."""

from __future__ import annotations

from textual.widgets import Input

from kfwizard.app import WizardApp
from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.project import ProjectScreen
from kfwizard.widgets.field import Field
from tests.ui.helpers import clusters_named, goto_screen, stack_env, wait_for, wait_for_screen

SIZE = (100, 32)


async def test_a_gke_version_gke_would_refuse_is_named_under_its_field(stack, store, tmp_path):
    """ "banana" used to pass the form; the create then failed with GKE's raw HTTP 400
    ("Master version "banana" is unsupported"). Now the rule is under the field, Next
    refuses, and no cluster is asked for."""
    app = WizardApp(env=stack_env(stack, tmp_path), store=store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await goto_screen(pilot, "cluster", ClusterScreen)
        field = screen.query_one("#field-version", Field)
        screen.query_one("#version", Input).value = "banana"
        await wait_for(pilot, lambda: field.error is not None, description="version rule")
        assert field.error.startswith("GKE version: 'banana' is not a version GKE takes")
        assert "1.33" in field.error and "latest" in field.error
        assert "1 field needs attention" in str(screen.query_one("#nav-status").render())
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)
        assert screen.last_result is None and not app.run_in_progress(), "nothing ran"
        assert not clusters_named(stack)
        assert screen.query_one("#version", Input).value == "banana"
        # A version GKE takes clears it.
        screen.query_one("#version", Input).value = "1.33"
        await wait_for(pilot, lambda: field.error is None, description="cleared")


async def test_values_typed_earlier_come_back_as_typed_with_their_rules(stack, store, tmp_path):
    """A node count of 0 came back as the placeholder 3 under "1 to 100" (0 read as
    nothing), and the rules of bad values typed earlier stayed hidden until ctrl+n
    while the nav line counted them. Now the text is as typed and the rules show at
    once, but an empty field is not greeted with an error."""
    app = WizardApp(env=stack_env(stack, tmp_path), store=store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await goto_screen(pilot, "cluster", ClusterScreen)
        typed = {"name": "", "nodes": "0", "version": "banana"}
        for key, text in typed.items():
            screen.query_one(f"#{key}", Input).value = text
        await wait_for(
            pilot,
            lambda: screen.cluster["nodes"] == 0 and screen.cluster["version"] == "banana",
            description="stored",
        )
        await pilot.press("escape")
        await wait_for_screen(pilot, ProjectScreen)
        app.action_goto("cluster")
        back = await wait_for_screen(pilot, ClusterScreen)
        assert back is not screen
        for key, text in typed.items():
            assert back.query_one(f"#{key}", Input).value == text, key
        fields = {key: back.query_one(f"#field-{key}", Field) for key in typed}
        assert fields["nodes"].error == "Nodes: the node count is a whole number from 1 to 100"
        assert (fields["version"].error or "").startswith("GKE version: 'banana'")
        assert fields["name"].error is None, "an empty field is not greeted with an error"
        assert "3 fields need attention" in str(back.query_one("#nav-status").render())
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert (fields["name"].error or "").startswith("Name:")
        assert back.last_result is None and not clusters_named(stack)
