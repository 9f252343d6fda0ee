"""The session picker names the session files it cannot read (another user's, or not a
file): skipped and left where they are, the others listed."""

from __future__ import annotations

from kfwizard.app import WizardApp
from kfwizard.screens.sessions import SessionsScreen
from kfwizard.session import SessionStore
from tests.ui.helpers import save_session, wait_for_screen, warning_notices

SIZE = (100, 32)


async def test_an_unreadable_file_is_named_beside_the_sessions_it_lists(store):
    save_session(store, "20261128-1000-aaaa", name="fine")
    odd = store.folder / "20261128-0900-0dd0.json"
    odd.mkdir()  # cannot be opened, as another user's file
    app = WizardApp(store=SessionStore(store.folder))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        text = warning_notices(app)["Could not be read"]
        assert "Cannot read session file 20261128-0900-0dd0.json" in text
        assert "skipped and left where it is" in text
        assert [s.id for s in app.screen.sessions] == ["20261128-1000-aaaa"]
    assert odd.is_dir()


async def test_an_unreadable_file_alone_opens_the_list_to_say_so(store):
    """Not a new session as if nothing were there: that file may be the user's install."""
    store.folder.mkdir(parents=True)
    (store.folder / "20261128-0900-0dd0.json").mkdir()
    app = WizardApp(store=SessionStore(store.folder))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, SessionsScreen)
        assert "20261128-0900-0dd0.json" in warning_notices(app)["Could not be read"]
