"""Dialogs with more to say than 80x24 holds: the body scrolls, and the controls (the
box to tick, the name to type) and the buttons stay on the screen, where what Tab and
Enter reach can be seen."""

from __future__ import annotations

from typing import Any

from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input

from kfwizard.dialogs.confirm import ConfirmDialog
from kfwizard.dialogs.frame import DialogBody
from kfwizard.dialogs.help import HelpDialog
from kfwizard.dialogs.secret import SecretDialog
from kfwizard.dialogs.teardown import TeardownDialog
from kfwizard.engine.steps.install import remember_install_elsewhere
from kfwizard.screens.project import ProjectScreen
from tests.ui.helpers import PlanApp, save_session, wait_for, wait_for_screen

SMALL = (80, 24)

LONG = " ".join(f"Sentence {n} of a body far longer than the screen is tall." for n in range(60))


def shown(screen: Any, widget: Widget) -> bool:
    """``widget`` is painted on the screen: its middle is on the screen and is that
    widget (not cut off below the frame, not under another widget)."""
    region = widget.region
    if not region.area or not screen.region.contains_region(region):
        return False
    under, _ = screen.get_widget_at(*region.center)
    return under is widget


async def open_dialog(pilot: Any, dialog: Any) -> Any:
    app = pilot.app
    await wait_for_screen(pilot, ProjectScreen)
    app.push_screen(dialog)
    await wait_for(pilot, lambda: app.screen is dialog, description="the dialog")
    await pilot.pause()
    await pilot.pause()
    return dialog


async def scrolled_to_the_end(pilot: Any, dialog: Any) -> DialogBody:
    """The body scrolls: Tab reaches it, End scrolls it to its end."""
    body = dialog.query_one(DialogBody)
    assert body.max_scroll_y > 0, "the long body scrolls"
    body.focus()
    await pilot.press("end")
    await wait_for(pilot, lambda: body.scroll_y == body.max_scroll_y, description="scrolled")
    return body


def two_clusters_and_an_install_left_behind(store: Any) -> Any:
    """The tester's session: installed on kubeflow-testing, then on a new cluster kf-two;
    both clusters the session's own, Google APIs enabled, pipeline data in volumes."""
    session = save_session(store, "s-two-fit", name="two-clusters")
    where = {"project": "my-proj-1", "location": "us-central1-a"}
    session.inventory["objects"] = [
        {"apiVersion": "v1", "kind": "Namespace", "name": "kubeflow"},
        *(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "namespace": "kubeflow",
                "name": name,
            }
            for name in ("minio-pvc", "mysql-pv-claim")
        ),
    ]
    apply_out: dict[str, Any] = {
        "target": "gke_my-proj-1_us-central1-a_kubeflow-testing",
        "applied": 41,
        "mode": "kfp-standalone",
        "version": "2.17.0",
    }
    remember_install_elsewhere(session, apply_out, "gke_my-proj-1_us-central1-a_kf-two")
    session.outputs["apply"] = {**apply_out, "target": "gke_my-proj-1_us-central1-a_kf-two"}
    session.inventory["cluster"] = {**where, "name": "kf-two", "created_by_session": True}
    session.inventory["earlier_clusters"] = [
        {**where, "name": "kubeflow-testing", "created_by_session": True}
    ]
    session.inventory["services"] = ["container.googleapis.com", "compute.googleapis.com"]
    store.save(session)
    return session


async def test_the_teardown_dialog_keeps_its_box_and_buttons_in_sight_at_80x24(store):
    session = two_clusters_and_an_install_left_behind(store)
    app = PlanApp({}, store=store, session_id="s-two-fit")
    async with app.run_test(size=SMALL) as pilot:
        dialog = await open_dialog(pilot, TeardownDialog(session))
        box = dialog.query_one("#delete-cluster", Checkbox)
        assert str(box.label) == "Also delete clusters kf-two, kubeflow-testing"
        for widget in (box, dialog.query_one("#no"), dialog.query_one("#yes")):
            assert shown(dialog, widget), f"{widget} is cut off: {widget.region}"
        body = await scrolled_to_the_end(pilot, dialog)
        last = list(body.query(".teardown-text"))[-1]
        assert "Google APIs" in str(last.render())
        await pilot.pause()
        assert shown(dialog, last), "the last line of the preview can be scrolled to"
        assert shown(dialog, dialog.query_one("#yes", Button)), "the buttons stay"


async def test_an_adopted_clusters_name_field_stays_in_sight_at_80x24(store):
    session = two_clusters_and_an_install_left_behind(store)
    session.inventory["cluster"]["created_by_session"] = False
    app = PlanApp({}, store=store, session_id="s-two-fit")
    async with app.run_test(size=SMALL) as pilot:
        dialog = await open_dialog(pilot, TeardownDialog(session))
        for selector in ("#delete-cluster", "#teardown-typed", "#no", "#yes"):
            widget = dialog.query_one(selector)
            assert shown(dialog, widget), f"{selector} is cut off: {widget.region}"
        assert dialog.query_one(DialogBody).max_scroll_y > 0


async def test_a_confirm_dialog_with_a_long_body_scrolls_it_and_keeps_its_buttons(store):
    save_session(store, "s-fit")
    app = PlanApp({}, store=store, session_id="s-fit")
    async with app.run_test(size=SMALL) as pilot:
        dialog = await open_dialog(
            pilot, ConfirmDialog("Delete?", LONG, yes="Delete", danger=True, require_text="kf")
        )
        for selector in ("#confirm-title", "#confirm-typed", "#no", "#yes"):
            widget = dialog.query_one(selector)
            assert shown(dialog, widget), f"{selector} is cut off: {widget.region}"
        await scrolled_to_the_end(pilot, dialog)
        assert shown(dialog, dialog.query_one("#yes"))


async def test_a_short_confirm_dialog_is_no_taller_than_its_words(store):
    save_session(store, "s-fit")
    app = PlanApp({}, store=store, session_id="s-fit")
    async with app.run_test(size=SMALL) as pilot:
        dialog = await open_dialog(pilot, ConfirmDialog("Quit?", "Nothing runs now."))
        body = dialog.query_one(DialogBody)
        assert body.region.height == 1 and body.max_scroll_y == 0
        assert not body.allow_focus(), "Tab does not stop on a body with nothing to scroll"
        assert dialog.query_one("Vertical").region.height == 9  # border, padding, 3 rows


async def test_the_secret_dialog_keeps_its_field_and_buttons_at_80x24(store):
    save_session(store, "s-fit")
    app = PlanApp({}, store=store, session_id="s-fit")
    async with app.run_test(size=SMALL) as pilot:
        dialog = await open_dialog(pilot, SecretDialog("Cloud SQL password", LONG, "KF_PW"))
        for selector in ("#secret-value", "#no", "#yes"):
            widget = dialog.query_one(selector)
            assert shown(dialog, widget), f"{selector} is cut off: {widget.region}"
        assert isinstance(app.focused, Input)
        await scrolled_to_the_end(pilot, dialog)


async def test_the_help_dialog_keeps_its_close_button_at_80x24(store):
    save_session(store, "s-fit")
    app = PlanApp({}, store=store, session_id="s-fit")
    async with app.run_test(size=SMALL) as pilot:
        dialog = await open_dialog(pilot, HelpDialog("Help", LONG, [("x", "does x")] * 30))
        assert shown(dialog, dialog.query_one("#help-close"))
