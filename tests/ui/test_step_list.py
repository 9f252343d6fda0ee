"""The step list: a long note wraps under its own column, not under the marks."""

from __future__ import annotations

from textual.app import App, ComposeResult

from kfwizard.widgets.step_list import StepList, hang_note

NOTE = "5/9 Creating node pools (default-pool): 1 of 3 nodes created"


def test_hang_note_indents_continuation_lines() -> None:
    wrapped = hang_note(NOTE, 30, 70).split("\n")
    assert len(wrapped) == 2
    assert wrapped[1].startswith(" " * 30) and not wrapped[1][30].isspace()
    assert all(len(line) <= 70 for line in wrapped)
    assert " ".join(part.strip() for part in wrapped) == NOTE


def test_hang_note_leaves_short_notes_and_narrow_rooms_alone() -> None:
    assert hang_note("3/88 objects", 30, 70) == "3/88 objects"
    assert hang_note(NOTE, 30, 0) == NOTE  # not laid out yet
    assert hang_note(NOTE, 10, 22) == NOTE  # too narrow to hang anywhere


def test_a_note_with_no_room_beside_the_columns_hangs_under_the_title() -> None:
    """15 columns beside the columns: the note wrapped back to the margin."""
    lines = hang_note(NOTE, 30, 45).split("\n")
    assert lines[0] == "" and len(lines) == 3
    assert all(line.startswith("    ") and not line[4].isspace() for line in lines[1:])
    assert all(len(line) <= 45 for line in lines)
    assert " ".join(line.strip() for line in lines[1:]) == NOTE
    assert hang_note("3/88 objects", 40, 55) == "3/88 objects", "a short note stays"


class OneList(App[None]):
    def compose(self) -> ComposeResult:
        yield StepList(ticking=False, id="steps")


def _lines(steps: StepList) -> list[str]:
    return str(steps.render()).split("\n")


async def test_a_long_note_hangs_and_rewraps_on_resize() -> None:
    app = OneList()
    async with app.run_test(size=(80, 10)) as pilot:
        steps = app.query_one(StepList)
        steps.set_steps([("cluster", "GKE cluster"), ("connect", "Connect to the cluster")])
        steps.started("cluster", "GKE cluster")
        steps.progress("cluster", NOTE)
        await pilot.pause()
        lines = _lines(steps)
        assert len(lines) == 3 and steps.size.height == 3
        column = lines[0].index("5/9")
        assert lines[1][:column].isspace() and lines[1][column:].endswith("nodes created")
        assert lines[2].lstrip().startswith("○ Connect")  # the next row starts a line
        await pilot.resize_terminal(120, 10)
        await pilot.pause()
        assert len(_lines(steps)) == 2 and steps.size.height == 2


async def test_a_run_starting_lists_its_steps_pending_not_with_the_last_runs_marks() -> None:
    """A replacement cluster: "✓ Connect to the cluster" (the old cluster's) stayed up
    until Connect ran again. A run's list starts every row pending; each finish marks it."""
    app = OneList()
    async with app.run_test(size=(80, 10)) as pilot:
        steps = app.query_one(StepList)
        rows = [("cluster", "GKE cluster"), ("connect", "Connect to the cluster")]
        steps.set_steps(rows, {"cluster": "done", "connect": "done"})
        await pilot.pause()
        assert [line.lstrip()[0] for line in _lines(steps)] == ["✓", "✓"]
        steps.set_steps(rows)  # the same screen listing them again keeps what it knows
        assert [row.state for row in steps.rows.values()] == ["done", "done"]
        steps.set_steps(rows, {"cluster": "done", "connect": "done"}, fresh=True)
        steps.started("cluster", "GKE cluster")
        await pilot.pause()
        assert [row.state for row in steps.rows.values()] == ["running", "pending"]
        assert _lines(steps)[1].lstrip().startswith("○ Connect")


async def test_long_titles_leave_notes_under_their_rows_not_at_the_margin() -> None:
    """At 120x40 the Install list's notes wrapped back to the first column:
    "✓ Wait for Kubeflow Pipelines to start 0s nothing to do:" / "  already in place"."""
    app = OneList()
    async with app.run_test(size=(69, 10)) as pilot:
        steps = app.query_one(StepList)
        steps.set_steps(
            [("rollout", "Wait for Kubeflow Pipelines to start"), ("delete", "Delete the cluster")]
        )
        steps.finished("rollout", "done", 0.0, "nothing to do: already in place")
        steps.started("delete", "Delete the cluster")
        steps.progress("delete", "4/100 Deleting node pools")
        await pilot.pause()
        lines = _lines(steps)
        assert [line.strip() for line in lines[1::2]] == [
            "nothing to do: already in place",
            "4/100 Deleting node pools",
        ]
        assert all(line.startswith("    ") for line in lines[1::2]), lines
        assert steps.size.height == len(lines) == 4, "no line wrapped by Textual"
