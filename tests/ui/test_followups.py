"""What a person saw on screen and was wrong: each test pins one fix.

Mode offers only what can install (the demo's one version), never a blank version, and a
refusal short enough for 24 rows; progress counts once; the failure panel lists what
needs attention; a restored failure is named by the step's title; the picker does not
call a half-done session done; the empty log stays narrow; Verify's summary is in view.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, RadioButton, Select

from kfwizard.demo import demo_manifests_path
from kfwizard.engine.step import BaseStep, StepContext
from kfwizard.screens.install import InstallScreen
from kfwizard.screens.mode import ModeScreen
from kfwizard.screens.project import ProjectScreen
from kfwizard.screens.sessions import SessionsScreen
from kfwizard.screens.verify import VerifyScreen
from kfwizard.widgets.field import Field
from kfwizard.widgets.plan_box import plan_content
from kfwizard.widgets.step_list import StepList
from tests.ui.helpers import (
    READY_FOR_INSTALL,
    ChattyStep,
    PlanApp,
    WaitingStep,
    save_session,
    wait_for,
    wait_for_panel,
    wait_for_screen,
)
from tests.ui.scenes import DONE_UNTIL_INSTALL, OUTPUTS

UNTIL_MODE = {"credentials": "done", "services": "done", "cluster": "done", "connect": "done"}


def connected_to(version: str) -> dict[str, Any]:
    return {**OUTPUTS, "connect": {**OUTPUTS["connect"], "server_version": version}}


async def test_version_is_never_blank(store):
    save_session(store, "s-mode", phase_steps=UNTIL_MODE, outputs=connected_to("v1.34.1"))
    app = PlanApp({}, store=store, session_id="s-mode")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, ModeScreen)
        for select in screen.query(Select):
            assert not select._allow_blank
            assert select.value is not Select.NULL


async def test_demo_offers_only_what_its_manifests_install(store):
    selections = {"deployment": {"mode": "kfp-standalone", "manifests": demo_manifests_path()}}
    save_session(store, "s-demo", phase_steps=UNTIL_MODE, selections=selections, outputs=OUTPUTS)
    app = PlanApp({}, store=store, session_id="s-demo")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, ModeScreen)
        version = screen.query_one("#version", Select)
        assert [value for _, value in version._options] == ["2.17.0"]
        assert "built-in manifests are KFP 2.17.0" in str(
            screen.query_one("#field-version", Field).query_one(".field--message").render()
        )
        assert not screen.query_one("#mode-kfp-standalone", RadioButton).disabled
        assert screen.query_one("#mode-kfp-gcp", RadioButton).disabled
        assert screen.query_one("#mode-kubeflow", RadioButton).disabled


async def test_a_refusal_fits_under_the_field_at_80x24(store):
    selections = {"deployment": {"mode": "kfp-standalone", "version": "1.6.0"}}
    save_session(
        store,
        "s-refused",
        phase_steps=UNTIL_MODE,
        selections=selections,
        outputs=connected_to("v1.34.1"),
    )
    app = PlanApp({}, store=store, session_id="s-refused")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, ModeScreen)
        await pilot.press("ctrl+n")  # refused: the message is painted under the field
        field = screen.query_one("#field-version", Field)
        await wait_for(pilot, lambda: field.error is not None, description="the refusal")
        assert field.error is not None
        assert "removed in 1.22" in field.error and "Pick 1.8.5" in field.error
        assert "#8076" not in field.error, "issue numbers are for F1"
        await pilot.pause()
        assert field.query_one(".field--message").size.height <= 4


def test_plan_text_keeps_the_units_capitalised():
    detail = {
        "counts": {"Deployment": 14},
        "requests": {"cpu_m": 470, "memory_mib": 1536},
        "time_estimate_seconds": 180,
    }
    text = plan_content(detail, {}).plain
    assert "Pods request 0.47 vCPU, 1.5 GiB; usually about 3 min" in text


class CountingStep(BaseStep):
    """Reports progress whose message already carries the count, like the rollout wait."""

    def __init__(self, step_id: str, title: str) -> None:
        self.id, self.title = step_id, title

    def apply(self, ctx: StepContext) -> None:
        ctx.progress(3, 14, "3/14 ready")
        ctx.sleep(60)


async def test_progress_counts_are_not_doubled(store):
    save_session(store, "s-count", phase_steps=DONE_UNTIL_INSTALL)
    app = PlanApp({"install": [CountingStep("rollout", "Wait")]}, store=store, session_id="s-count")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        await pilot.press("ctrl+n")
        rows = screen.query_one(StepList).rows
        await wait_for(pilot, lambda: rows["rollout"].note != "", description="progress")
        assert rows["rollout"].note == "3/14 ready"
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: not screen.running, description="stopped")


class CheckingStep(BaseStep):
    def __init__(self) -> None:
        self.id, self.title = "preflight", "Check the cluster"

    def apply(self, ctx: StepContext) -> None:
        from kfwizard.engine.errors import StepFailed

        raise StepFailed(
            "1 preflight check failed (capacity): not enough CPU.",
            "add a node",
            details=(
                "[pass] kubernetes-version: 1.34 is supported.",
                "[fail] capacity: 2 vCPU free, 4 needed.",
                "[warn] storage-class: no default StorageClass.",
                "[pass] rbac: allowed.",
            ),
        )


async def test_failure_panel_lists_only_what_needs_attention(store):
    save_session(store, "s-checks", phase_steps=DONE_UNTIL_INSTALL)
    app = PlanApp({"install": [CheckingStep()]}, store=store, session_id="s-checks")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        await pilot.press("ctrl+n")
        panel = await wait_for_panel(pilot, screen)
        details = str(panel.query_one("#failure-details").render())
        assert "[fail] capacity" in details and "[warn] storage-class" in details
        assert "[pass]" not in details


def test_a_detail_that_repeats_the_cause_and_action_is_left_out():
    from kfwizard.kube.preflight import Check, failure_text
    from kfwizard.screens.base import worth_showing

    checks = [
        Check("capacity", "fail", "Not enough room: short by 470m CPU.", 'run "gcloud resize"'),
        Check("storage-class", "warn", "No default StorageClass."),
        Check("rbac", "pass", "You may create CRDs."),
    ]
    cause, action, details = failure_text(checks)
    assert worth_showing(details, f"{cause} {action}") == (
        "[warn] storage-class: No default StorageClass.",
    )
    # Without what was said, or when the line says more, it stays.
    assert worth_showing(details)[0].startswith("[fail] capacity: Not enough room")
    assert worth_showing(["[fail] x: new news."], "x failed: old news.") == ("[fail] x: new news.",)
    assert worth_showing(["container api: restarted 2 times"], "crash-looping") == (
        "container api: restarted 2 times",
    )


async def test_a_restored_failure_is_named_by_the_step_title(store):
    save_session(
        store,
        "s-restored",
        status="failed",
        phase_steps={"credentials": "done", "services": "done", "cluster": "failed"},
        causes={"cluster": "Zone us-central1-a has no n1-standard-2 capacity."},
    )
    plans = {"cluster": [WaitingStep("cluster", "GKE cluster"), WaitingStep("connect", "Connect")]}
    app = PlanApp(plans, store=store, session_id="s-restored")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await wait_for_screen(pilot, type(app.screen))
        panel = await wait_for_panel(pilot, screen)
        await wait_for(
            pilot, lambda: panel.border_title == "✗ GKE cluster failed", description="the title"
        )
        assert "GKE cluster" in str(screen.query_one(StepList).render())


async def test_picker_tells_a_half_done_session_from_a_done_one(store):
    save_session(
        store,
        "20261128-1000-aaaa",
        status="done",  # `kfwizard run --until cluster` ends like this
        phase_steps={"credentials": "done", "services": "done", "cluster": "done"},
    )
    app = PlanApp({}, store=store)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await wait_for_screen(pilot, SessionsScreen)
        row = screen.query_one(DataTable).get_row_at(0)
        assert row[0] == "—", "an unnamed session shows its id once, in the ID column"
        assert row[4] == "20261128-1000-aaaa"
        assert "in progress" in str(row[2]) and "done" not in str(row[2])


async def test_the_empty_log_stays_narrow_beside_the_form(store):
    save_session(store, "s-wide")
    app = PlanApp({"project": [ChattyStep("credentials", "Credentials", 5, 5)]}, store=store)
    app.requested_session_id = "s-wide"
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_for_screen(pilot, ProjectScreen)
        side = screen.query_one("#side")
        await pilot.pause()
        assert side.size.width <= 40
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.last_result is not None, description="the run")
        await pilot.pause()
        assert side.size.width > 40


async def test_verify_summary_is_in_view_at_80x24(store):
    steps = {**DONE_UNTIL_INSTALL, "preflight": "done", "apply": "done", "rollout": "done"}
    save_session(store, "s-verify", phase_steps=steps, outputs=OUTPUTS)
    app = PlanApp({"verify": [ChattyStep("verify", "Verify the install", 40, 10)]}, store=store)
    app.requested_session_id = "s-verify"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, VerifyScreen)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: screen.last_result is not None, description="verified")
        await pilot.pause()
        await pilot.pause()
        summary = screen.query_one("#summary")
        visible = summary.region.intersection(screen.query_one("#main").region)
        assert visible.height >= summary.region.height - 1, "the summary is on screen"


async def test_install_says_it_replaces_an_earlier_version_on_this_cluster(store):
    """Another version over an earlier install is an upgrade: the Install step says what
    it replaces, and that the earlier volumes stay, before anything is applied."""
    earlier = {
        "target": OUTPUTS["connect"]["context"],
        "mode": "kfp-standalone",
        "version": "2.14.4",
        "env": "platform-agnostic",
    }
    save_session(
        store,
        "s-upgrade",
        phase_steps={**READY_FOR_INSTALL, "apply": "pending"},
        outputs={**OUTPUTS, "apply": earlier},
    )
    app = PlanApp({}, store=store, session_id="s-upgrade")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        text = str(screen.summary())
        assert "It replaces 2.14.4 (platform-agnostic), installed here earlier" in text
        assert "its volumes stay" in text

    # The same version again, or another cluster: nothing is replaced.
    again = {**earlier, "version": "2.17.0"}
    save_session(
        store, "s-same", phase_steps=READY_FOR_INSTALL, outputs={**OUTPUTS, "apply": again}
    )
    elsewhere = {**earlier, "target": "gke_other_europe-west1_theirs"}
    save_session(
        store, "s-other", phase_steps=READY_FOR_INSTALL, outputs={**OUTPUTS, "apply": elsewhere}
    )
    for session_id in ("s-same", "s-other"):
        app = PlanApp({}, store=store, session_id=session_id)
        async with app.run_test(size=(100, 32)) as pilot:
            screen = await wait_for_screen(pilot, InstallScreen)
            assert "replaces" not in str(screen.summary())


async def test_the_rollout_table_narrows_again_when_a_long_message_clears(store):
    """``DataTable`` keeps a column as wide as the longest text it ever held; the
    Install screen rebuilds its columns with each list, so the same rows always look
    the same."""
    save_session(store, "s-why", phase_steps=READY_FOR_INSTALL)
    app = PlanApp({}, store=store, session_id="s-why")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        table = screen.query_one("#deployments", DataTable)

        def why_width(table: DataTable[Any]) -> int:
            (column,) = [c for c in table.columns.values() if c.key == "message"]
            return column.get_render_width(table)

        quiet = [{"name": "ml-pipeline", "ready": "0/1", "state": "progressing", "message": ""}]
        loud = [dict(quiet[0], message="waiting for the controller to see the change")]
        screen.show_deployments(quiet)
        await pilot.pause()
        narrow = why_width(table)
        screen.show_deployments(loud)
        await pilot.pause()
        wide = why_width(table)
        screen.show_deployments(quiet)
        await pilot.pause()
        again = why_width(table)
        assert narrow < wide and again == narrow
        assert table.row_count == 1


async def test_the_rollout_table_is_as_wide_as_its_rows_before_it_next_idles(store):
    """A screen painted right after a list arrives (a screenshot, a busy event loop)
    showed "ml-pipelin": ``DataTable`` measures auto-width columns only when it idles."""
    save_session(store, "s-wide", phase_steps=READY_FOR_INSTALL)
    app = PlanApp({}, store=store, session_id="s-wide")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        table = screen.query_one("#deployments", DataTable)
        name = "ml-pipeline-persistenceagent"
        message = "0/3 nodes are available: 3 Insufficient cpu."
        screen.show_deployments([{"name": name, "ready": "0/1", "state": "x", "message": message}])
        widths = {str(c.key.value): c.get_render_width(table) for c in table.columns.values()}
        padding = 2 * table.cell_padding
        assert widths["name"] == len(name) + padding
        assert widths["message"] == len(message) + padding
        await pilot.pause()
        after = {str(c.key.value): c.get_render_width(table) for c in table.columns.values()}
        assert after == widths, "idling changes nothing"


async def test_cloud_sql_values_typed_earlier_show_their_rules_on_return(store):
    """Mode shown again with a bad bucket typed earlier: its rule shows at once (the
    nav line counted it with no field saying which); the empty instance stays quiet."""
    deployment = {
        "mode": "kfp-gcp",
        "version": "2.14.4",
        "env": "gcp",
        "gcp": {"bucket": "Bad_Bucket!", "cloudsql_instance": ""},
    }
    save_session(
        store,
        "s-gcp",
        phase_steps=UNTIL_MODE,
        selections={"deployment": deployment},
        outputs=connected_to("v1.34.1"),
    )
    app = PlanApp({}, store=store, session_id="s-gcp")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await wait_for_screen(pilot, ModeScreen)
        bucket = screen.query_one("#field-bucket", Field)
        assert bucket.error and "bucket" in bucket.error.lower(), bucket.error
        assert not screen.query_one("#field-cloudsql", Field).error
        assert "2 fields need attention" in str(screen.query_one("#nav-status").render())
