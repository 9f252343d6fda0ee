"""A damaged session file is set aside with a word from whichever command moved it, naming
where it went and the cluster the session may have left: no session knows that cluster
once its file is gone, and a new one refuses its name as not its own.
"""

from __future__ import annotations

import pytest

from kfwizard.cli import main
from kfwizard.session import Session, SessionStore
from tests.conftest import PROJECT_ROOT

DEMO_ANSWERS = PROJECT_ROOT / "examples" / "demo.yaml"


def test_a_damaged_demo_session_is_reported_by_the_run_that_sets_it_aside(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The tester's steps: a finished demo session cut to 100 bytes, the same command
    again. The run said "New session" and failed on a cluster "this session did not
    create", never saying the old session had been set aside."""
    argv = ["--demo", "run", "--answers", str(DEMO_ANSWERS), "--yes", "--speed", "0.05"]
    assert main(argv) == 0
    (first,) = SessionStore().list()
    path = SessionStore().path_for(first.id)
    whole = path.read_bytes()
    capsys.readouterr()

    for again in (argv, ["run", "--session", "demo"]):
        for other in SessionStore().list():  # the new session the first round started
            SessionStore().delete(other.id)
        path.write_bytes(whole[:100])
        main(again)
        err = capsys.readouterr().err
        notes = [line for line in err.splitlines() if line.startswith("note: ")]
        assert len(notes) == 1, err
        (moved,) = [
            p for p in (path.parent / "set-aside").iterdir() if p.read_bytes() == whole[:100]
        ]
        moved.unlink()  # the next round's copy is then the only one
        assert f"Session file {first.id}.json could not be used (not valid JSON)" in notes[0]
        assert f"it was moved to {moved} and nothing else was changed." in notes[0]
        assert "It held session 'demo'." in notes[0]
        assert (
            "Its cluster kubeflow-testing (us-central1-a, project kfwizard-demo) may still exist"
            in notes[0]
        )
    assert "--session: Session 'demo' cannot be used: its file" in err
    assert "was damaged and set aside" in err


def test_the_cluster_a_damaged_file_names_is_offered_for_deletion() -> None:
    """A real session cut after its inventory: the cluster it created is named with the
    command that deletes it; one a teardown deleted, or one it adopted, is not."""
    session = Session.new(name="prod")
    session.selections = {"project": "my-proj-1"}
    session.inventory = {
        "cluster": {
            "project": "my-proj-1",
            "location": "europe-west4",
            "name": "kfp-prod",
            "created_by_session": True,
        },
        "earlier_clusters": [
            {
                "project": "my-proj-1",
                "location": "us-central1-a",
                "name": "kfp-old",
                "created_by_session": True,
                "deleted": True,
            }
        ],
    }
    store = SessionStore()
    store.save(session)
    path = store.path_for(session.id)
    text = path.read_text()
    path.write_text(text[: text.index('"outputs"')])
    assert store.list() == []
    (aside,) = store.set_aside
    assert "Its cluster kfp-prod (europe-west4, project my-proj-1) may still exist" in (
        aside.message()
    )
    assert (
        "gcloud container clusters delete kfp-prod --location=europe-west4 --project=my-proj-1"
        in aside.message()
    )
    assert "kfp-old" not in aside.message()

    adopted = Session.new(name="adopted")
    adopted.inventory = {
        "cluster": {"project": "p", "location": "l", "name": "team", "created_by_session": False}
    }
    store.save(adopted)
    store.path_for(adopted.id).write_text(store.path_for(adopted.id).read_text()[:-40])
    again = SessionStore()
    assert again.list() == []
    (aside,) = again.set_aside
    assert "not valid JSON" in aside.message() and "Its cluster" not in aside.message()


def test_two_set_asides_in_one_second_keep_both_copies() -> None:
    store = SessionStore()
    store.folder.mkdir(parents=True)
    for text in ("{one", "{two"):
        (store.folder / "20260101-0000-dead.json").write_text(text)
        store.list()
    copies = sorted(p.read_text() for p in (store.folder / "set-aside").iterdir())
    assert copies == ["{one", "{two"]
