"""The picker and ``kfwizard sessions`` name the same Step for a session: where Resume
takes it ("Teardown" when its latest run was one), and the same status."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from textual.widgets import DataTable

from kfwizard.app import WizardApp
from kfwizard.cli import main
from kfwizard.engine.phases import resume_phase
from kfwizard.screens.sessions import SessionsScreen
from kfwizard.session import Session, SessionStore
from tests.ui.helpers import wait_for_screen

PROJECT = ("credentials", "services")
UP_TO_INSTALL = (*PROJECT, "cluster", "connect", "manifests", "preflight", "apply", "rollout")


def _session(name: str, done: tuple[str, ...], status: str, then: dict[str, str]) -> Session:
    session = Session.new(name=name)
    for step in done:
        session.record(step, "running")
        session.record(step, "done")
    for step, state in then.items():
        session.record(step, "running")
        session.record(step, state, "it broke" if state == "failed" else None)
    session.status = status
    return session


CASES = {
    # name: (steps done, status, later records, Step, status in both tables)
    "project-done": (PROJECT, "done", {}, "Cluster", "in progress"),
    "until-install": (UP_TO_INSTALL, "done", {}, "Verify", "in progress"),
    "cluster-failed": (PROJECT, "failed", {"cluster": "failed"}, "Cluster", "failed"),
    "verified": ((*UP_TO_INSTALL, "verify"), "done", {}, "Verify", "done"),
    "torn-down": ((*UP_TO_INSTALL, "verify"), "removed", {"uninstall": "done"}, "Teardown", None),
    "half-torn": ((*UP_TO_INSTALL, "verify"), "failed", {"uninstall": "failed"}, "Teardown", None),
}


def test_resume_phase_reads_records_saved_dicts_and_states_alike() -> None:
    """``kfwizard sessions`` reads the file's JSON, the app the records: one rule."""
    session = _session("x", PROJECT, "done", {"cluster": "failed"})
    saved = session.to_json()["steps"]
    states = {step_id: rec.state for step_id, rec in session.steps.items()}
    assert resume_phase(session.steps) == resume_phase(saved) == resume_phase(states) == "cluster"


async def test_the_picker_and_the_command_line_name_the_same_step(
    store: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Project done: the command line said "Project in progress" (the last step
    reached), the picker "Cluster" (where Resume goes). Both say where Resume goes."""
    ids = {}
    for name, (done, status, then, _step, _status) in CASES.items():
        session = _session(name, done, status, then)
        SessionStore().save(session)
        ids[session.id] = name

    assert main(["sessions", "--json"]) == 0
    listed = {ids[row["id"]]: row["step"] for row in json.loads(capsys.readouterr().out)}
    assert main(["sessions"]) == 0
    table_lines = capsys.readouterr().out.splitlines()[1:]
    cli_table = {ids[line.split()[0]]: re.split(r"\s{2,}", line)[2:4] for line in table_lines}

    app = WizardApp(store=store)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await wait_for_screen(pilot, SessionsScreen)
        table = screen.query_one(DataTable)
        picker = {
            ids[str(row[4])]: (str(row[1]), str(row[2]))
            for row in (table.get_row_at(i) for i in range(table.row_count))
        }

    for name, (_done, _status, _then, step, status) in CASES.items():
        assert listed[name] == picker[name][0] == step, (name, listed[name], picker[name])
        if status is not None:
            assert picker[name][1].endswith(status), (name, picker[name])
            assert cli_table[name] == [step, status], (name, cli_table[name])
