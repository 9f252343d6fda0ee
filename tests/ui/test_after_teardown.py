"""After a teardown the step screens say what is left, as the step bar does.

A teardown leaves the step records as they were until the next wizard run, so a
screen that reads only the records calls a deleted install "done". These tests build
the torn-down sessions with the session's own records (``helpers.installed`` and
``torn_down``) and run the real screens; the "Install again…" runs go through the real
runner, which sends the removed records back to pending as a real run does.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Button, DataTable, Static

from kfwizard.screens.cluster import ClusterScreen
from kfwizard.screens.install import InstallScreen
from kfwizard.screens.verify import NOT_VERIFIED, VerifyScreen
from kfwizard.session import Session, SessionStore
from kfwizard.widgets.checklist import CheckList
from kfwizard.widgets.failure_panel import FailurePanel
from tests.ui.helpers import (
    ChattyStep,
    FailingStep,
    PlanApp,
    installed,
    torn_down,
    wait_for,
    wait_for_panel,
    wait_for_screen,
)


def save(store: SessionStore, session: Session) -> Session:
    store.save(session)
    return store.load(session.id)


def half_torn_down(session: Session) -> Session:
    """A teardown stopped in its uninstall step: part of the install is gone."""
    session.record("find-cluster", "running")
    session.record("find-cluster", "done")
    session.record("uninstall", "running")
    session.record("uninstall", "interrupted", "Stopped at your request.")
    session.status = "interrupted"
    return session


def nav_status(screen: Any) -> str:
    return str(screen.query_one("#nav-status", Static).render())


async def open_at(pilot: Any, phase: str, screen_type: type) -> Any:
    """From the Verify screen the session opens on, go to ``phase``'s screen."""
    await wait_for_screen(pilot, VerifyScreen)
    pilot.app.goto(phase)
    return await wait_for_screen(pilot, screen_type)


async def test_the_cluster_screen_offers_create_again_for_a_deleted_cluster(store):
    save(store, torn_down(installed(), delete_cluster=True))
    plans = {"cluster": [ChattyStep("cluster", "Create the cluster", total=2)]}
    app = PlanApp(plans, store=store, session_id="s-torn")
    async with app.run_test(size=(120, 40)) as pilot:
        cluster = await open_at(pilot, "cluster", ClusterScreen)
        assert not cluster.phase_done()
        assert cluster.query_one("#next", Button).label.plain == "Create cluster"
        assert "This step is done" not in nav_status(cluster)
        # ctrl+n runs the step here; it used to go straight on to Deployment mode.
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: cluster.last_result is not None, description="run")
        assert app.screen is cluster
        assert cluster.last_result.state == "done"


async def test_a_kept_cluster_stays_done_after_the_teardown(store):
    save(store, torn_down(installed()))
    app = PlanApp({}, store=store, session_id="s-torn")
    async with app.run_test(size=(120, 40)) as pilot:
        cluster = await open_at(pilot, "cluster", ClusterScreen)
        assert cluster.phase_done()
        assert "This step is done" in nav_status(cluster)


async def test_the_install_screen_after_a_teardown_offers_install_without_old_tables(store):
    """Finished or stopped, the teardown removed what the preflight checked and the
    Deployments the table listed as ready."""
    for session in (torn_down(installed()), half_torn_down(installed())):
        save(store, session)
        app = PlanApp({}, store=store, session_id=session.id)
        async with app.run_test(size=(120, 40)) as pilot:
            install = await open_at(pilot, "install", InstallScreen)
            assert not install.phase_done()
            assert install.query_one("#next", Button).label.plain == "Install"
            assert "This step is done" not in nav_status(install)
            assert install.outputs_of_last_run("preflight") == {}
            assert install.outputs_of_last_run("rollout") == {}
            assert not install.query_one("#checks", CheckList).display
            assert not install.query_one("#deployments", DataTable).display

    # The removed install is not "installed here earlier" for a new version to replace.
    session = torn_down(installed())
    session.outputs["connect"] = {"source": "gke", "context": "gke_p_us-central1-a_kf"}
    session.outputs["apply"] = {
        "target": "gke_p_us-central1-a_kf",
        "mode": "kfp-standalone",
        "version": "2.14.4",
        "env": "platform-agnostic",
    }
    save(store, session)
    app = PlanApp({}, store=store, session_id=session.id)
    async with app.run_test(size=(120, 40)) as pilot:
        install = await open_at(pilot, "install", InstallScreen)
        assert "It replaces" not in str(install.summary())


async def test_the_install_screen_shows_its_tables_when_nothing_was_torn_down(store):
    save(store, installed())
    app = PlanApp({}, store=store, session_id="s-torn")
    async with app.run_test(size=(120, 40)) as pilot:
        install = await open_at(pilot, "install", InstallScreen)
        assert install.phase_done()
        assert install.query_one("#checks", CheckList).display
        assert install.query_one("#deployments", DataTable).display


async def install_again(pilot: Any, verify: VerifyScreen) -> None:
    """Press "Install again…", say yes, and wait until the run is over."""
    before = verify.last_result
    await pilot.press("ctrl+n")
    await wait_for(
        pilot, lambda: type(pilot.app.screen).__name__ == "ConfirmDialog", description="asked"
    )
    await pilot.click("#yes")
    await wait_for(
        pilot,
        lambda: verify.last_result is not before and not verify.running,
        description="install again over",
    )


def old_results_shown(verify: VerifyScreen) -> bool:
    checks = verify.query_one("#checks", CheckList)
    return bool(
        checks.rows
        or verify.query_one("#summary").display
        or verify.query_one("#port-forward", Button).display
    )


async def test_a_failed_install_again_shows_no_old_checks_summary_or_forward(store):
    save(store, torn_down(installed()))
    plans = {"verify": [FailingStep("credentials", "Check credentials")]}
    app = PlanApp(plans, store=store, session_id="s-torn")
    async with app.run_test(size=(120, 40)) as pilot:
        verify = await wait_for_screen(pilot, VerifyScreen)
        await install_again(pilot, verify)
        assert verify.last_result.state == "failed"
        assert verify.session.steps["verify"].state == "pending"
        assert not old_results_shown(verify)
        assert verify.query_one("#checks", CheckList).empty == NOT_VERIFIED
        assert verify.query_one("#next", Button).label.plain != "Verify again"


async def test_an_install_again_that_applied_says_not_verified_not_torn_down(store):
    save(store, torn_down(installed()))
    plans = {"verify": [ChattyStep("apply", "Apply manifests", total=2)]}
    app = PlanApp(plans, store=store, session_id="s-torn")
    async with app.run_test(size=(120, 40)) as pilot:
        verify = await wait_for_screen(pilot, VerifyScreen)
        assert verify.query_one("#checks", CheckList).empty.startswith("Torn down")
        await install_again(pilot, verify)
        assert verify.last_result.state == "done"
        checks = verify.query_one("#checks", CheckList)
        assert checks.empty == NOT_VERIFIED
        assert not checks.rows, "the old verification is not this install's"


async def test_a_verified_session_shows_its_checks_summary_and_forward(store):
    save(store, installed())
    app = PlanApp({}, store=store, session_id="s-torn")
    async with app.run_test(size=(120, 40)) as pilot:
        verify = await wait_for_screen(pilot, VerifyScreen)
        assert verify.query_one("#checks", CheckList).rows
        assert verify.query_one("#summary").display
        assert verify.query_one("#port-forward", Button).display


async def test_a_teardown_started_again_hides_the_last_failure_panel(store):
    """The panel an earlier run left (here a failed verification) goes when the
    teardown starts, as it does when a run starts; the teardown that then finishes
    left "! …: stopped" up over "Torn down"."""
    session = installed()
    session.inventory["cluster"]["deleted"] = True  # the teardown has nothing to call
    save(store, session)
    plans = {"verify": [FailingStep("verify", "Verify")]}
    app = PlanApp(plans, store=store, session_id="s-torn")
    async with app.run_test(size=(120, 40)) as pilot:
        verify = await wait_for_screen(pilot, VerifyScreen)
        await pilot.press("ctrl+n")
        await wait_for_panel(pilot, verify)
        verify.start_teardown(True)
        await wait_for(pilot, lambda: verify.torn_down(), description="teardown done")
        assert not verify.query_one(FailurePanel).has_class("-shown")
        assert nav_status(verify) == "Torn down"


def adopted(session: Session) -> Session:
    """The session used a cluster the user brought (``Existing GKE``)."""
    session.selections["cluster"].update(source="existing", name="team-prod")
    session.inventory["cluster"].update(name="team-prod", created_by_session=False)
    return session


async def test_an_adopted_cluster_is_not_offered_for_deletion_after_the_teardown(store):
    save(store, torn_down(adopted(installed())))
    app = PlanApp({}, store=store, session_id="s-torn")
    async with app.run_test(size=(120, 40)) as pilot:
        verify = await wait_for_screen(pilot, VerifyScreen)
        words = verify.query_one("#checks", CheckList).empty
        assert "t deletes" not in words and "billed" not in words, words
        assert "GKE cluster team-prod, which this session adopted, stays yours." in words


async def test_a_full_kubeflow_summary_names_the_platform_release_and_its_kfp(store):
    session = installed()
    session.selections["deployment"].update(mode="kubeflow", version="26.03", env="gke")
    session.outputs["verify"]["api"] = {}
    save(store, session)
    app = PlanApp({}, store=store, session_id="s-torn")
    async with app.run_test(size=(120, 40)) as pilot:
        verify = await wait_for_screen(pilot, VerifyScreen)
        values = [str(cell) for cell in verify.summary_content().columns[1]._cells]
        assert values[0] == "Kubeflow 26.03 (KFP 2.16.0)", values
