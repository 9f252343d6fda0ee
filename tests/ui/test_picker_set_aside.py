"""The session picker's note on a damaged session file names the session it held and the
cluster it may have left: once the file is set aside no session knows that cluster."""

from __future__ import annotations

from kfwizard.app import WizardApp
from kfwizard.screens.sessions import SessionsScreen
from kfwizard.session import Session, SessionStore
from tests.ui.helpers import wait_for_screen, warning_notices

SIZE = (100, 32)


async def test_a_set_aside_file_names_the_cluster_it_may_have_left(store):
    session = Session.new(name="prod")
    session.inventory["cluster"] = {
        "project": "my-proj-1",
        "location": "us-central1-a",
        "name": "kfp-prod",
        "created_by_session": True,
    }
    store.save(session)
    path = store.path_for(session.id)
    text = path.read_text()
    path.write_text(text[: text.index('"outputs"')])
    app = WizardApp(store=SessionStore(store.folder))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        said = warning_notices(app)["A session file was set aside"]
        assert "It held session 'prod'." in said
        assert "Its cluster kfp-prod (us-central1-a, project my-proj-1) may still exist" in said
        assert "gcloud container clusters delete kfp-prod --location=us-central1-a" in said
