"""The command-line contract: version, where, sessions, exit codes for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kfwizard import __version__
from kfwizard.cli import main
from kfwizard.session import Session, SessionStore

ANSWERS = """\
project: my-project
cluster: {source: create, name: kubeflow-testing, location: us-central1-a}
deployment: {mode: kfp-standalone, version: "2.17.0", env: platform-agnostic}
"""
"""A complete answers file; tests change one value in it."""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"kfwizard {__version__}"


def test_where_lists_every_folder(capsys: pytest.CaptureFixture[str], kfwizard_home: Path) -> None:
    assert main(["--where"]) == 0
    out = capsys.readouterr().out
    for name in ("state", "sessions", "log", "cache", "data", "config"):
        assert f"{name} " in out
    assert str(kfwizard_home) in out


def test_sessions_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions"]) == 0
    assert "No sessions yet" in capsys.readouterr().out
    store = SessionStore()
    session = Session.new(name="first-kfp")
    session.record("credentials", "running")
    session.record("credentials", "done")
    session.record("cluster", "running")
    session.record("cluster", "failed", "zone stockout")
    session.status = "failed"
    store.save(session)
    assert main(["sessions"]) == 0
    out = capsys.readouterr().out
    assert "first-kfp" in out and "Cluster" in out and "failed" in out and session.id in out
    assert main(["sessions", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert (
        rows[0]["id"] == session.id
        and rows[0]["step"] == "Cluster"
        and rows[0]["status"] == "failed"
    )


def test_a_running_session_whose_process_is_gone_is_listed_interrupted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A run killed outright (closed terminal, SIGKILL) leaves "running" in the file;
    the listing asks whether anyone holds the session's lock, as resume would (the kernel
    drops it with its holder; the pid in the file may be another process's by now)."""
    import os

    store = SessionStore()
    session = Session.new(name="killed")
    session.record("cluster", "running")
    session.status = "running"
    store.save(session)
    lock = store.lock(session.id)
    lock.path.write_text(str(os.getpid()))  # alive, but not holding it
    assert main(["sessions", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "interrupted"
    with lock:
        assert main(["sessions", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["status"] == "running"
    lock.path.unlink()  # never locked: nothing runs it
    assert main(["sessions"]) == 0
    assert "interrupted" in capsys.readouterr().out


def test_the_table_reads_like_the_picker_and_the_json_keeps_the_saved_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A session with no name, whose run stopped after the Cluster step (``--until
    cluster``): "-", "Deployment mode" (where Resume goes) and "in progress" in the
    table, as in the picker, not its id and "done"."""
    store = SessionStore()
    session = Session.new()
    for step in ("credentials", "services", "cluster", "connect"):
        session.record(step, "running")
        session.record(step, "done")
    session.status = "done"
    store.save(session)
    saved = store.load(session.id).updated_at
    assert main(["sessions"]) == 0
    (line,) = capsys.readouterr().out.splitlines()[1:]
    assert line.split()[:6] == [session.id, "-", "Deployment", "mode", "in", "progress"]
    assert line.endswith(f"{saved[:10]} {saved[11:16]} UTC"), "the time, read like the picker's"
    assert main(["sessions", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["name"], row["status"], row["updated"]) == (session.id, "done", saved)


def test_a_torn_down_session_is_listed_at_teardown_not_install(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As the picker says: a session whose latest run was a teardown, finished or
    stopped halfway, is at "Teardown"; "Install" would read as installed."""
    store = SessionStore()
    for name, outcome, status in (("gone", "done", "removed"), ("half", "failed", "failed")):
        session = Session.new(name=name)
        for step in ("credentials", "apply", "verify"):
            session.record(step, "running")
            session.record(step, "done")
        session.record("uninstall", "running")
        session.record("uninstall", outcome)
        session.status = status
        store.save(session)
    assert main(["sessions", "--json"]) == 0
    steps = {row["name"]: row["step"] for row in json.loads(capsys.readouterr().out)}
    assert steps == {"gone": "Teardown", "half": "Teardown"}
    assert main(["sessions"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert all(line.split()[2] == "Teardown" for line in lines), lines


def test_saved_times_read_as_utc_minutes():
    from kfwizard.session_list import stamp

    assert stamp("2026-11-29T18:49:47+00:00") == "2026-11-29 18:49 UTC"
    assert stamp("2026-11-29T18:49:47Z") == "2026-11-29 18:49 UTC"
    assert stamp("2026-11-29T19:49:47+01:00") == "2026-11-29T19:49:47+01:00", "not UTC: as saved"
    assert stamp("") == ""


def test_sessions_reports_a_corrupt_file(capsys: pytest.CaptureFixture[str]) -> None:
    store = SessionStore()
    store.folder.mkdir(parents=True)
    (store.folder / "20260101-0000-0bad.json").write_text("{nope")
    assert main(["sessions"]) == 0
    err = capsys.readouterr().err
    assert "20260101-0000-0bad.json could not be used" in err and "set-aside" in err


def test_unknown_option_is_exit_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--no-such-flag"])
    assert exc.value.code == 2


def test_run_with_bad_until_names_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("project: my-project\n")
    assert main(["run", "--answers", str(answers), "--until", "bogus"]) == 2
    assert "--until" in capsys.readouterr().err


def test_an_answers_file_for_kfp_1_6_0_on_gke_is_refused_before_a_session_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """KFP 1.6.0 can never install on GKE; it used to be refused at the manifests step,
    after APIs were enabled and a billable cluster created."""
    answers = tmp_path / "a.yaml"
    answers.write_text(ANSWERS.replace('version: "2.17.0"', 'version: "1.6.0"'))
    assert main(["run", "--answers", str(answers), "--yes"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("kfwizard: deployment.version: KFP 1.6.0's CRDs")
    assert "New session" not in captured.out
    assert SessionStore().list() == []


def test_run_with_missing_session_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--session", "20260101-0000-none"]) == 2
    assert "--session: No session '20260101-0000-none'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "teardown", "bundle"])
def test_a_session_ref_naming_none_or_several_is_bad_input(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 like any value given wrong (the contract's 1 means a run failed, and its
    journal says where: there is no such run here)."""
    store = SessionStore()
    for suffix in ("beef", "cafe"):
        session = Session.new(name="dup")
        session.id = f"20260101-0000-{suffix}"
        store.save(session)
    for ref, said in (
        ("nosuch", "--session: No session 'nosuch'"),
        ("dup", "--session: Several sessions are named 'dup'"),
        ("20260101-0000", "--session: Several sessions have ids starting '20260101-0000'"),
    ):
        assert main([command, "--session", ref]) == 2, ref
        assert said in capsys.readouterr().err


def test_a_session_is_found_by_id_name_or_id_prefix() -> None:
    from kfwizard.session import SessionNotFound

    store = SessionStore()
    first = Session.new(name="first-kfp")
    store.save(first)
    second = Session.new(name="trial")
    second.id = first.id[:-4] + "beef"  # same minute: ids share all but the suffix
    store.save(second)
    third = Session.new(name="trial")
    third.id = "20250101-0000-cafe"
    store.save(third)
    assert store.resolve(first.id) == first.id
    assert store.resolve("first-kfp") == first.id
    assert store.resolve("20250101") == third.id
    with pytest.raises(SessionNotFound, match=f"Several sessions are named 'trial': .*{third.id}"):
        store.resolve("trial")
    with pytest.raises(SessionNotFound, match="Several sessions have ids starting"):
        store.resolve(first.id[:-4])
    with pytest.raises(SessionNotFound, match="an id, a name or the start of an id"):
        store.resolve("nothing-like-it")


def test_commands_taking_a_session_accept_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = SessionStore()
    session = Session.new(name="first-kfp")
    store.save(session)
    bundle = tmp_path / "bundle.tar.gz"
    assert main(["bundle", "--session", "first-kfp", "--output", str(bundle)]) == 0
    assert bundle.is_file() and "Support bundle written" in capsys.readouterr().out
    assert main(["teardown", "--session", "no-such-name"]) == 2
    assert "No session 'no-such-name'" in capsys.readouterr().err


def _rows_as_the_store_shows_them() -> list[dict]:
    """What `sessions` listed before it had its own quick reader (Session objects)."""
    from kfwizard.engine.phases import PHASE_TITLES

    return [
        {
            "id": s.id,
            "name": s.display_name(),
            "step": PHASE_TITLES.get(s.phase(), s.phase()),
            "status": s.status,
            "updated": s.updated_at,
            "demo": s.demo,
        }
        for s in SessionStore().list()
    ]


def test_the_quick_listing_shows_what_the_session_store_reads(
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = SessionStore()
    fresh = Session.new()  # no steps yet, no name: listed by id
    store.save(fresh)
    named = Session.new(selections={"name": "from-answers"}, demo=True)
    for step in ("credentials", "services", "cluster", "connect", "manifests"):
        named.record(step, "running")
        named.record(step, "done")
    named.record("preflight", "failed")
    named.updated_at = "2099-01-01T00:00:00+00:00"
    store.save(named)
    everything = Session.new(name="all-done")
    for step in ("credentials", "cluster", "manifests", "apply", "verify"):
        everything.record(step, "running")
        everything.record(step, "done")
    everything.status = "done"
    store.save(everything)

    assert main(["sessions", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == _rows_as_the_store_shows_them()
    assert {r["name"] for r in rows} == {fresh.id, "from-answers", "all-done"}
    assert {r["step"] for r in rows} == {"Project", "Install", "Verify"}


def test_the_quick_commands_load_neither_argparse_nor_the_session_module(
    kfwizard_home: Path,
) -> None:
    """`--version` and `sessions` answer within python start-up + 50 ms (issue 9):
    argparse, dataclasses (via kfwizard.session) and the engine's errors stay out."""
    import os
    import subprocess
    import sys

    SessionStore().save(Session.new(name="returning"))
    root = Path(__file__).resolve().parents[1]
    for argv in (["--version"], ["sessions"], ["sessions", "--json"]):
        code = (
            f"import sys; from kfwizard.cli import main; assert main({argv!r}) == 0; "
            "print(sorted(m for m in ('argparse', 'dataclasses', 'kfwizard.session', "
            "'kfwizard.engine.errors', 'secrets') if m in sys.modules))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            cwd=root,
            env=dict(os.environ, PYTHONPATH=str(root), KFWIZARD_HOME=str(kfwizard_home)),
            timeout=60,
            check=True,
        )
        assert done.stdout.strip().splitlines()[-1] == "[]", (argv, done.stdout)


def test_a_newer_kfwizards_session_is_listed_with_a_note_and_left_in_place(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from kfwizard.session import SCHEMA_VERSION

    store = SessionStore()
    current = Session.new(name="today")
    store.save(current)
    newer = store.folder / "20990101-0000-beef.json"
    text = json.dumps(
        {
            "id": "20990101-0000-beef",
            "name": "tomorrow",
            "schema_version": SCHEMA_VERSION + 1,
            "updated_at": "2099-01-01T00:00:00+00:00",
            "steps": "a shape this kfwizard does not know",
        }
    )
    newer.write_text(text)

    assert main(["sessions"]) == 0
    out, err = capsys.readouterr()
    line = next(line for line in out.splitlines() if "20990101-0000-beef" in line)
    assert "tomorrow" in line and "newer" in line, out
    assert "20990101-0000-beef.json was written by a newer kfwizard" in err
    assert "upgrade kfwizard to resume it" in err and "left in place" in err
    assert main(["sessions", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["status"], r.get("note")) for r in rows] == [
        ("20990101-0000-beef", "newer", "written by a newer kfwizard; upgrade to resume"),
        (current.id, "new", None),
    ]

    assert main(["run", "--session", "20990101-0000-beef"]) == 1
    assert "upgrade kfwizard to resume it" in capsys.readouterr().err
    assert newer.read_text() == text
    assert not (store.folder / "set-aside").exists()


def test_a_damaged_file_is_set_aside_and_the_others_still_listed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import os
    import time

    store = SessionStore()
    good = Session.new(name="good")
    store.save(good)
    odd = store.folder / "20260101-0000-0dd0.json"  # valid JSON, impossible shape
    odd.write_text(json.dumps({"id": "x", "schema_version": 1, "steps": [1]}))
    stale = store.folder / f".{good.id}.json.abc123.tmp"  # left by a killed save
    stale.write_text("{")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))

    assert main(["sessions", "--json"]) == 0
    out, err = capsys.readouterr()
    assert [r["id"] for r in json.loads(out)] == [good.id]
    assert "20260101-0000-0dd0.json could not be used (unreadable: steps is not a mapping)" in err
    assert not odd.exists() and len(list((store.folder / "set-aside").iterdir())) == 1
    assert not stale.exists()


def _adopting_session() -> Session:
    """A session whose cluster is team-cluster, adopted (not created by it)."""
    session = Session.new(name="adopted")
    session.inventory["cluster"] = {
        "project": "my-proj-1",
        "location": "us-central1-a",
        "name": "team-cluster",
        "created_by_session": False,
    }
    return session


def test_a_confirm_name_matching_no_cluster_is_refused_before_the_preview(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The refusal comes before "Teardown will delete" and its yes, not after the
    objects are gone; nothing is contacted (no emulator runs in this test)."""
    session = _adopting_session()
    session.inventory["objects"] = [
        {"apiVersion": "v1", "kind": "Namespace", "name": "kubeflow", "namespace": None}
    ]
    SessionStore().save(session)
    argv = ["teardown", "--session", session.id, "--delete-cluster", "--yes"]
    assert main([*argv, "--confirm-name", "team-clustr"]) == 2
    said = capsys.readouterr()
    assert "--confirm-name team-clustr names no cluster of this session" in said.err
    assert "(its clusters: team-cluster)" in said.err
    assert "Teardown will delete" not in said.out
    assert SessionStore().load(session.id).inventory["objects"], "nothing was deleted"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ["teardown", "--session", "x", "--confirm-name", "kf-one"],
            "--confirm-name: only means something with --delete-cluster",
        ),
        (
            ["run", "--session", "x", "--new"],
            "--new: starts a new session, so it cannot go with --session",
        ),
    ],
)
def test_a_flag_the_command_would_ignore_is_refused(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert said in capsys.readouterr().err


def test_a_resumed_session_is_named_once() -> None:
    """ "Resuming session ID (ID)." said the id twice for a session without a name."""
    from kfwizard.headless import _session_to_resume

    store = SessionStore()
    plain, named = Session.new(), Session.new(name="first-kfp")
    store.save(plain)
    store.save(named)
    assert _session_to_resume(store, plain.id)[1] == [f"Resuming session {plain.id}."]
    assert _session_to_resume(store, named.id)[1] == [f"Resuming session {named.id} (first-kfp)."]


def test_the_teardown_preview_keeps_an_adopted_cluster_unless_it_is_named() -> None:
    import io

    from kfwizard.headless import _print_preview
    from kfwizard.kube.teardown import teardown_preview

    session = _adopting_session()
    kept, named = io.StringIO(), io.StringIO()
    _print_preview(teardown_preview(session, delete_cluster=True), True, kept)
    named_preview = teardown_preview(session, delete_cluster=True, confirm_name="team-cluster")
    _print_preview(named_preview, True, named)
    assert "Kept: the cluster team-cluster" in kept.getvalue()
    assert "--delete-cluster --confirm-name team-cluster deletes it too" in kept.getvalue()
    assert "Teardown will delete the cluster team-cluster" in named.getvalue()


def test_resuming_a_half_torn_down_session_says_so() -> None:
    from kfwizard.headless import _session_to_resume

    store = SessionStore()
    session = Session.new()
    session.record("apply", "done")
    session.record("uninstall", "interrupted", cause="Stopped at your request.")
    store.save(session)
    said = _session_to_resume(store, session.id)[1]
    assert said[1] == (
        "Its teardown did not finish: this run installs it again; "
        f'"kfwizard teardown --session {session.id}" finishes the teardown instead.'
    )


def test_the_teardown_preview_says_what_it_leaves_on_a_cluster_it_does_not_list() -> None:
    """An install left on an earlier cluster the session did not create: the preview's
    ``left_in_place`` sentence was printed only beside earlier clusters of its own."""
    import io

    from kfwizard.headless import _print_preview

    left = "Left in place: the kfp-standalone 2.17.0 install on cluster team-one."
    preview = {"objects_by_kind": {}, "earlier_clusters": [], "left_in_place": [left]}
    shown = io.StringIO()
    _print_preview(preview, False, shown)
    assert shown.getvalue().splitlines()[-1] == left
    listed = {**preview, "earlier_clusters": [f"kf1 (us-central1-a). {left}"]}
    shown = io.StringIO()
    _print_preview(listed, False, shown)
    assert shown.getvalue().count(left) == 1, "said once, on the earlier cluster's line"


def test_resuming_a_torn_down_session_says_what_a_short_run_does() -> None:
    """A run that stops before Install (``--until project``) was told "this run
    installs it again"."""
    from kfwizard.headless import _session_to_resume

    store = SessionStore()
    session = Session.new()
    session.record("apply", "done")
    session.record("uninstall", "done")
    session.status = "removed"
    store.save(session)
    said = {
        until: _session_to_resume(store, session.id, until=until)[1][-1]
        for until in ("project", "cluster", None)
    }
    assert said["project"] == (
        "It was torn down; this run stops after Project and installs nothing yet."
    )
    assert said["cluster"] == (
        "It was torn down; this run stops after Cluster (a deleted cluster it created is "
        "created again) and installs nothing yet."
    )
    assert said[None].startswith("It was torn down: this run installs it again")
