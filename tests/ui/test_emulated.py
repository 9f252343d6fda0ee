"""The Project and Cluster screens against the loopback emulators (real clients)."""

from __future__ import annotations

import asyncio
import urllib.request
from typing import Any

from textual.widgets import Button, Input, Select, Static

from kfwizard.app import WizardApp
from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.project import ProjectScreen
from kfwizard.widgets.commands_box import CommandsBox
from kfwizard.widgets.field import Field
from kfwizard.widgets.log_pane import LogPane
from tests.ui.helpers import clusters_named, stack_env, wait_for, wait_for_screen

SIZE = (100, 32)


def install_workers(app: WizardApp) -> list[Any]:
    return [w for w in app.workers if w.group == "install"]


async def test_project_screen_detects_and_checks_against_the_emulators(stack, store, tmp_path):
    app = WizardApp(env=stack_env(stack, tmp_path), store=store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ProjectScreen)
        field = screen.query_one("#field-project", Field)
        project = screen.query_one("#project", Input)
        await wait_for(pilot, lambda: project.value == "kfwizard-ui-test", description="detected")
        message = field.query_one(".field--message")
        await wait_for(
            pilot, lambda: "CLOUDSDK_CORE_PROJECT" in str(message.render()), description="hint"
        )
        await pilot.press("ctrl+n")
        await wait_for(
            pilot, lambda: app.run_in_progress() or screen.last_result, description="start"
        )
        await app.workers.wait_for_complete(install_workers(app))
        await wait_for(pilot, lambda: screen.last_result is not None, description="finished")
        assert screen.last_result.state == "done", screen.last_result
        session = store.load(app.session.id)
        assert session.steps["credentials"].state in ("done", "skipped")
        assert session.steps["services"].state in ("done", "skipped")
        assert session.outputs["credentials"]["project"] == "kfwizard-ui-test"
        log = screen.query_one(LogPane)
        await wait_for(pilot, lambda: log.pending == 0, description="log drained")
        assert any("Credentials" in line or "credentials" in line for line in log.lines)
        assert str(screen.query_one("#next", Button).label) == "Next: Cluster →"
        await pilot.press("ctrl+n")
        await wait_for_screen(pilot, ClusterScreen)


async def test_project_screen_explains_a_permission_failure(store, tmp_path):
    """Service Usage refuses (the account may not enable APIs): the failure panel says
    why and what to do, the session records it, and Retry is offered."""
    from kfwizard.emulator.faults import Faults
    from kfwizard.emulator.stack import EmulatorStack

    faults = Faults.named("services-permission-denied")
    with EmulatorStack(
        project="kfwizard-ui-test", speed=0.0, faults=faults, enabled_services=()
    ) as denied:
        app = WizardApp(env=stack_env(denied, tmp_path), store=store)
        async with app.run_test(size=SIZE) as pilot:
            screen = await wait_for_screen(pilot, ProjectScreen)
            project = screen.query_one("#project", Input)
            await wait_for(
                pilot, lambda: project.value == "kfwizard-ui-test", description="detected"
            )
            await pilot.press("ctrl+n")
            await wait_for(
                pilot, lambda: screen.last_result is not None, timeout=30, description="finished"
            )
            assert screen.last_result.state == "failed", screen.last_result
            panel = screen.query_one("#failure")
            assert panel.has_class("-shown")
            cause = str(panel.query_one("#failure-cause").render())
            action = str(panel.query_one("#failure-action").render())
            assert cause.strip() and "Next:" in action
            session = store.load(app.session.id)
            assert session.steps[screen.last_result.failed_step].state == "failed"


async def _existing_gke_chosen(pilot: Any, app: WizardApp) -> ClusterScreen:
    """From the first screen to the Cluster screen, Existing GKE chosen (its list loads)."""
    await wait_for_screen(pilot, ProjectScreen)
    app.goto("cluster")
    screen = await wait_for_screen(pilot, ClusterScreen)
    screen.query_one("#source-existing").value = True
    return screen


async def test_cluster_screen_lists_existing_clusters(stack, store, tmp_path):
    stack.add_cluster("existing-one")
    env = stack_env(stack, tmp_path)
    app = WizardApp(env=env, store=store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _existing_gke_chosen(pilot, app)
        select = screen.query_one("#existing", Select)
        await wait_for(pilot, lambda: len(select._options) > 1, timeout=20, description="listed")
        assert any("existing-one" in str(label) for label, _ in select._options)


async def test_an_existing_cluster_list_says_why_there_is_nothing_to_choose(stack, store, tmp_path):
    """A list GKE refused is explained in words (not its JSON), and once GKE answers
    that the project has no clusters, the create form's default name does not pass for
    a chosen one: Connect does not run."""
    app = WizardApp(env=stack_env(stack, tmp_path), store=store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _existing_gke_chosen(pilot, app)
        field = screen.query_one("#field-existing", Field)
        await wait_for(pilot, lambda: bool(field.error), timeout=20, description="listed")
        assert field.error == (
            "GKE cluster: could not list clusters: The Kubernetes Engine API "
            "(container.googleapis.com) is not enabled in project kfwizard-ui-test. Next: "
            'choose "Enable what is missing" (services: enable) to let the wizard enable it, '
            'or run "gcloud services enable '
            'container.googleapis.com --project=kfwizard-ui-test"; a newly enabled API can '
            "take a few minutes to work"
        ), "a Google error in words, not its JSON"
        assert "1 field needs attention" in str(screen.query_one("#nav-status").render())
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.last_result is None, "nothing ran"
        # With the API on, GKE answers with an empty list.
        with stack.lock:
            stack.serviceusage.enable_now("kfwizard-ui-test", ["container.googleapis.com"])
        await pilot.click("#reload-clusters")
        await wait_for(
            pilot, lambda: "no GKE clusters" in (field.error or ""), description="listed"
        )
        assert (
            field.error == "GKE cluster: this project has no GKE clusters yet: choose New cluster"
        )
        # Nothing to describe or connect to: the commands say how to look for one.
        assert screen.query_one("#commands", CommandsBox).commands == [
            "gcloud container clusters list --project=kfwizard-ui-test"
        ]
        assert "1 field needs attention" in str(screen.query_one("#nav-status").render())
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.last_result is None, "nothing ran"


async def test_cluster_screen_creates_and_connects(stack, store, tmp_path):
    app = WizardApp(env=stack_env(stack, tmp_path), store=store)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, ProjectScreen)
        app.goto("cluster")
        screen = await wait_for_screen(pilot, ClusterScreen)
        await pilot.press("ctrl+n")
        await wait_for(
            pilot,
            lambda: screen.last_result is not None,
            timeout=60,
            description="cluster run finished",
        )
        assert screen.last_result.state == "done", screen.last_result
        session = store.load(app.session.id)
        assert session.steps["cluster"].state == "done"
        assert session.outputs["cluster"]["created_by_session"] is True
        assert str(screen.query_one("#next", Button).label) == "Next: Deployment mode →"


async def test_project_detection_hint_names_its_source(stack, store, tmp_path):
    """Detection alone needs no plan: the field is filled and says where it came from."""
    app = WizardApp(env=stack_env(stack, tmp_path), store=store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, ProjectScreen)
        project = screen.query_one("#project", Input)
        await wait_for(pilot, lambda: project.value == "kfwizard-ui-test", description="detected")
        message = str(
            screen.query_one("#field-project", Field).query_one(".field--message").render()
        )
        assert "Detected from CLOUDSDK_CORE_PROJECT" in message


async def test_whole_wizard_against_the_emulators_with_port_forward(stack, store, tmp_path):
    """Project → Cluster → Mode → Install → Verify with the demo manifests, keyboard only;
    then the port-forward opens a loopback URL and closes when the screen goes."""
    from kfwizard.screens.install import InstallScreen
    from kfwizard.screens.mode import ModeScreen
    from kfwizard.screens.verify import VerifyScreen

    app = WizardApp(env=stack_env(stack, tmp_path), store=store, demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        for screen_type, timeout in (
            (ProjectScreen, 30),
            (ClusterScreen, 60),
            (ModeScreen, 60),
            (InstallScreen, 120),
            (VerifyScreen, 60),
        ):
            screen = await wait_for_screen(pilot, screen_type)
            await pilot.press("ctrl+n")
            await wait_for(
                pilot,
                lambda s=screen: s.last_result is not None,
                timeout=timeout,
                description=f"{screen_type.__name__} run",
            )
            assert screen.last_result.state == "done", (screen_type, screen.last_result)
            if screen_type is not VerifyScreen:
                await pilot.press("ctrl+n")
        verify = app.screen
        assert verify.query_one("#next", Button).label.plain == "Verify again"
        session = store.load(app.session.id)
        assert session.status == "done"
        assert session.outputs["verify"]["api"]["tag_name"]
        await pilot.press("p")
        await wait_for(
            pilot, lambda: verify.forward_url() is not None, timeout=30, description="port-forward"
        )
        url = verify.forward_url()
        assert url.startswith("http://127.0.0.1:")
        summary_values = [str(cell) for cell in verify.summary_content().columns[1]._cells]
        assert url in summary_values
        page = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).read())
        assert page, "the UI answers through the port-forward"
        forward = verify.forward
        # Teardown: preview, Delete (Cancel has the focus; Tab reaches Delete), run.
        await pilot.press("t")
        await wait_for(
            pilot,
            lambda: type(app.screen).__name__ == "TeardownDialog",
            description="teardown preview",
        )
        preview = " ".join(
            str(text.render()) for text in app.screen.query(".teardown-text").results(Static)
        )
        assert "GKE cluster kubeflow-testing" in preview and "created by this session" in preview
        assert "kubeflow/mysql-pv-claim" in preview and "is lost for good" in preview
        await pilot.press("tab", "enter")
        await wait_for(pilot, lambda: forward._stop.is_set(), description="forward stopped")
        await wait_for(
            pilot,
            lambda: store.load(app.session.id).status == "removed",
            timeout=120,
            description="teardown done",
        )
        session = store.load(app.session.id)
        assert session.steps["delete-cluster"].state == "done"
        assert session.inventory["cluster"].get("deleted") is True
        # The step bar says what is left: the cluster and the install went with the
        # teardown (its own steps are none of the five, so none reads failed either).
        from kfwizard.widgets.step_indicator import StepIndicator

        indicator = app.screen.query_one(StepIndicator)
        await wait_for(
            pilot, lambda: indicator.states["install"] == "removed", description="bar updated"
        )
        assert indicator.states == {
            "project": "done",
            "cluster": "removed",
            "mode": "done",
            "install": "removed",
            "verify": "removed",
        }
        assert "✓ Install" not in indicator.text_for(120).plain
        # Torn down: the primary action no longer says "Verify again" (running the plan
        # would create the cluster again); it asks first, naming the cluster and its cost.
        await wait_for(pilot, lambda: not verify.running, description="teardown closed")
        assert verify.query_one("#next", Button).label.plain == "Install again…"
        assert str(verify.query_one("#nav-status", Static).render()) == "Torn down"
        assert verify.query_one("#intro").display, "the intro is back once torn down"
        # The forward closed with the teardown, and there is no UI left to open one to.
        assert not verify.query_one("#port-forward", Button).display
        assert verify.query_one("#port-forward", Button).label.plain == "Open port-forward (p)"
        await pilot.press("p")
        await wait_for(pilot, lambda: app._notifications, description="notice")
        notes = [n.message for n in app._notifications]
        assert any("there is no UI to forward to" in note for note in notes), notes
        assert verify.forward is None
        await pilot.press("t")  # the cluster went too: nothing to offer
        await pilot.pause()
        assert app.screen is verify
        notes = [n.message for n in app._notifications]
        assert any("gone already, its cluster included" in note for note in notes), notes
        await pilot.press("ctrl+n")
        await wait_for(
            pilot,
            lambda: type(app.screen).__name__ == "ConfirmDialog",
            description="install-again question",
        )
        question = str(app.screen.query_one("#confirm-body", Static).render())
        assert "GKE cluster kubeflow-testing in us-central1-a is created again" in question
        assert "billed until it is deleted" in question
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is verify, description="question closed")
        await pilot.pause(0.2)
        assert not verify.running
        assert not clusters_named(stack)
        # Yes: everything comes back, the summary with it.
        torn_down = verify.last_result
        await pilot.press("ctrl+n")
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", description="asked again"
        )
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: verify.last_result is not torn_down and not verify.running,
            timeout=120,
            description="installed again",
        )
        assert verify.last_result.state == "done", verify.last_result
        assert verify.query_one("#summary").display
        assert verify.query_one("#next", Button).label.plain == "Verify again"
        assert clusters_named(stack)
        # Every step was done again (or checked), so every tick is back and true.
        assert set(verify.query_one(StepIndicator).states.values()) == {"done"}


async def test_a_run_that_finds_its_cluster_gone_asks_before_creating_it(stack, store, tmp_path):
    """Only the Cluster step's Create button agrees to a new cluster up front. A later
    step's run that finds the cluster deleted asks first: No creates nothing and says
    why; Create cluster creates it."""
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import container_v1

    from kfwizard.screens.mode import ModeScreen

    app = WizardApp(env=stack_env(stack, tmp_path), store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        for screen_type in (ProjectScreen, ClusterScreen):  # no question on the way
            screen = await wait_for_screen(pilot, screen_type)
            await pilot.press("ctrl+n")
            await wait_for(
                pilot, lambda s=screen: s.last_result is not None, timeout=60, description="run"
            )
            assert screen.last_result.state == "done", screen.last_result
            await pilot.press("ctrl+n")
        mode = await wait_for_screen(pilot, ModeScreen)
        assert len(clusters_named(stack)) == 1

        client = container_v1.ClusterManagerClient(
            transport="rest",
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=stack.gke_url),
        )
        where = f"projects/{stack.project}/locations/us-central1-a/clusters/kubeflow-testing"
        await asyncio.to_thread(client.delete_cluster, name=where)
        await wait_for(
            pilot, lambda: not clusters_named(stack), timeout=30, description="cluster deleted"
        )

        await pilot.press("ctrl+n")
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", description="question"
        )
        question = str(app.screen.query_one("#confirm-body", Static).render())
        assert question.startswith(
            "GKE no longer lists cluster kubeflow-testing, which this session used. Create GKE "
            "cluster kubeflow-testing in us-central1-a (3 x n1-standard-2, about $"
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: mode.last_result is not None, description="refused")
        assert mode.last_result.failed_step == "cluster"
        assert "was not confirmed" in mode.last_result.cause
        assert not clusters_named(stack)

        first = mode.last_result
        await pilot.press("ctrl+n")
        await wait_for(
            pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", description="asked again"
        )
        await pilot.press("enter")  # "Create cluster" has the focus
        await wait_for(
            pilot, lambda: mode.last_result is not first, timeout=60, description="second run"
        )
        assert store.load(app.session.id).steps["cluster"].state == "done"
        assert len(clusters_named(stack)) == 1


async def test_a_new_cluster_name_warns_on_screen_that_the_old_cluster_stays(
    stack, store, tmp_path
):
    """Choosing another cluster after creating one leaves the first running and billed:
    the warning is a toast, not only a log line."""
    app = WizardApp(env=stack_env(stack, tmp_path), store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        project = await wait_for_screen(pilot, ProjectScreen)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: project.last_result is not None, description="project")
        await pilot.press("ctrl+n")
        cluster = await wait_for_screen(pilot, ClusterScreen)
        for name in ("kubeflow-testing", "kubeflow-two"):
            before = cluster.last_result
            cluster.query_one("#name", Input).value = name
            # The Input posts its change; ctrl+n handled before it would find the phase
            # done and move on to the next screen instead of creating (seen once in CI).
            await wait_for(
                pilot, lambda n=name: cluster.cluster.get("name") == n, description="stored"
            )
            await pilot.press("ctrl+n")
            await wait_for(
                pilot, lambda b=before: cluster.last_result is not b, timeout=60, description=name
            )
            assert cluster.last_result.state == "done", cluster.last_result
        warnings = [n.message for n in app._notifications if n.severity == "warning"]
        assert any(
            w.startswith(
                "Cluster kubeflow-testing in us-central1-a, created earlier by this "
                "session, is still there (and billed)"
            )
            for w in warnings
        ), warnings
        assert sorted(c.name for c in stack.gke.clusters.values()) == [
            "kubeflow-testing",
            "kubeflow-two",
        ]
