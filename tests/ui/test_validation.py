"""Inline validation: the message names the field and the rule, the text stays, Next refuses."""

from __future__ import annotations

from textual.widgets import Input, Select

from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.project import ProjectScreen
from kfwizard.widgets.field import Field
from tests.ui.helpers import PlanApp, save_session, wait_for, wait_for_screen

SIZE = (100, 32)


async def test_project_id_message_names_field_and_rule_and_keeps_text(store):
    save_session(store, "s-val", selections={"project": ""})
    app = PlanApp({}, store=store, session_id="s-val")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ProjectScreen)
        screen = app.screen
        field = screen.query_one("#field-project", Field)
        screen.query_one("#project", Input).focus()
        await pilot.press(*"My_Project")
        await wait_for(pilot, lambda: field.error is not None, description="inline error")
        assert field.error.startswith("Project ID:")
        assert "6 to 30 characters" in field.error
        assert screen.query_one("#project", Input).value == "My_Project"
        rendered = str(field.query_one(".field--message").render())
        assert "Project ID" in rendered and "lowercase letters" in rendered
        # Next refuses and stays; nothing typed is lost; no run starts.
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, ProjectScreen)
        assert not app.run_in_progress()
        assert screen.query_one("#project", Input).value == "My_Project"
        assert "attention" in str(screen.query_one("#nav-status").render())
        # The typed text is saved in the session too (debounced), so a resume keeps it.
        app.flush_save()
        await wait_for(
            pilot,
            lambda: store.load("s-val").selections["project"] == "My_Project",
            description="saved",
        )
        # Fixing it clears the message.
        screen.query_one("#project", Input).value = "my-project-123"
        await wait_for(pilot, lambda: field.error is None, description="cleared")


async def test_cluster_fields_refuse_bad_name_location_and_nodes(store):
    save_session(store, "s-cl", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({}, store=store, session_id="s-cl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ClusterScreen)
        screen = app.screen
        await pilot.pause()
        screen.query_one("#name", Input).value = "Kubeflow_Testing"
        screen.query_one("#location", Input).value = "us-central9-z"
        screen.query_one("#nodes", Input).value = "0"
        fields = {
            key: screen.query_one(f"#field-{key}", Field) for key in ("name", "location", "nodes")
        }
        await wait_for(pilot, lambda: all(f.error for f in fields.values()), description="errors")
        assert fields["name"].error.startswith("Name:") and "cluster name" in fields["name"].error
        assert fields["location"].error.startswith("Location:")
        assert fields["nodes"].error.startswith("Nodes:") and "1 to 100" in fields["nodes"].error
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, ClusterScreen)
        assert not app.run_in_progress()
        assert screen.query_one("#name", Input).value == "Kubeflow_Testing"
        # The estimate needs a valid node count and says so.
        assert "node count" in str(screen.query_one("#cost").render())


async def test_cost_estimate_states_price_date_and_source(store):
    save_session(store, "s-cost", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({}, store=store, session_id="s-cost")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ClusterScreen)
        await pilot.pause()
        text = str(app.screen.query_one("#cost").render())
        assert "/hour" in text and "/month" in text
        assert "as of 2026-06" in text and "Compute Engine" in text
        assert "fits" in text


async def test_a_regional_location_prices_the_nodes_of_every_zone(store):
    """GKE puts ``--num-nodes`` in each of a region's zones: 3 nodes become 9, and
    the bill triples. The estimate says so as soon as the location is typed."""
    save_session(store, "s-region", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({}, store=store, session_id="s-region")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ClusterScreen)
        await pilot.pause()
        cost = app.screen.query_one("#cost")
        zonal = str(cost.render())
        assert zonal.startswith("3 × n1-standard-2: 6 vCPU") and "$0.39/hour" in zonal
        app.screen.query_one("#location", Input).value = "us-central1"
        await wait_for(pilot, lambda: "region" in str(cost.render()), description="re-priced")
        regional = str(cost.render())
        assert regional.startswith("us-central1 is a region: 3 nodes in each of its 3 zones, 9")
        assert "9 × n1-standard-2: 18 vCPU" in regional
        assert "$0.95/hour" in regional  # 9 x $0.095 + the $0.10 GKE fee: $0.955


async def test_kubeconfig_contexts_are_listed_and_chosen(store, tmp_path, monkeypatch):
    import yaml

    kubeconfig = tmp_path / "kube" / "config"
    kubeconfig.parent.mkdir()
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c1", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u1", "user": {}}],
                "contexts": [
                    {"name": "kind-dev", "context": {"cluster": "c1", "user": "u1"}},
                    {"name": "minikube", "context": {"cluster": "c1", "user": "u1"}},
                ],
                "current-context": "kind-dev",
            }
        )
    )
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    save_session(store, "s-kc", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({}, store=store, session_id="s-kc")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ClusterScreen)
        screen.query_one("#source-kubeconfig").value = True
        select = screen.query_one("#context", Select)
        await wait_for(pilot, lambda: len(select._options) >= 2, description="contexts")
        labels = [str(label) for label, _ in select._options]
        assert "kind-dev (current)" in labels and "minikube" in labels
        # The current context is marked, not chosen: Next refuses until one is, with
        # the rule under the field.
        assert select.value is Select.NULL
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.query_one("#field-context", Field).error.startswith("Context:")
        select.value = "minikube"
        await wait_for(
            pilot,
            lambda: app.session.selections["cluster"]["context"] == "minikube",
            description="chosen",
        )
        assert screen.query_one("#field-context", Field).error is None
        assert str(screen.query_one("#next").label) == "Connect"


async def test_a_missing_or_empty_kubeconfig_says_what_to_do(store, tmp_path, monkeypatch):
    """With no context to choose, the field says why (no file, or no contexts in it) and
    what to do, and keeps saying it: the nav line counts it."""
    kubeconfig = tmp_path / "kube" / "config"
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    save_session(store, "s-nokc", phase_steps={"credentials": "done", "services": "done"})
    app = PlanApp({}, store=store, session_id="s-nokc")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ClusterScreen)
        field = screen.query_one("#field-context", Field)
        screen.query_one("#source-kubeconfig").value = True
        await wait_for(pilot, lambda: bool(field.error), description="listed")
        assert field.error == (
            f"Context: there is no kubeconfig at {kubeconfig}: connect kubectl to a cluster "
            'first (for GKE, "gcloud container clusters get-credentials NAME"), or choose New '
            "cluster"
        )
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert field.error.startswith("Context: there is no kubeconfig at"), "still why"
        assert "1 field needs attention" in str(screen.query_one("#nav-status").render())
        kubeconfig.parent.mkdir()
        kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
        screen.load_contexts()
        await wait_for(pilot, lambda: "no contexts in" in (field.error or ""), description="read")
