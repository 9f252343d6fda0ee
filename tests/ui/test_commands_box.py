"""The commands box: long commands cut into rows that carry on under the command."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.content import Content
from textual.selection import Selection

from kfwizard.widgets.commands_box import (
    CommandsBox,
    command_rows,
    fitting_rows,
    more_row,
    styled_rows,
)
from kfwizard.widgets.log_wrap import ContinuedRow
from tests.ui.helpers import wait_for

CREATE = (
    "gcloud container clusters create kubeflow-testing --project=kfwizard-demo "
    "--zone=us-central1-a --machine-type=n1-standard-2 --num-nodes=3 "
    "--scopes=compute-rw,gke-default,storage-rw --cluster-version=latest"
)
COMMANDS = ["# create the cluster", CREATE, "kubectl version"]


def test_a_long_command_carries_on_under_itself():
    rows = command_rows(COMMANDS, 40)
    assert rows[0] == "# create the cluster"
    assert rows[1].startswith("$ gcloud container clusters create")
    carried = rows[2 : rows.index("$ kubectl version")]
    assert len(carried) >= 4
    assert all(
        isinstance(row, ContinuedRow) and row.startswith("  ") and row[2] != " " for row in carried
    )
    assert all(len(row.rstrip(" ")) <= 40 for row in rows)
    assert "".join(row.removeprefix("  ") for row in [rows[1], *carried]) == f"$ {CREATE}"


def test_without_a_width_every_command_is_one_row():
    assert command_rows(COMMANDS, 0) == ["# create the cluster", f"$ {CREATE}", "$ kubectl version"]


def test_the_prompt_and_comments_are_muted_and_a_carried_row_keeps_its_command_style():
    rows = command_rows(["# a comment that is long enough to wrap here", "ls -la"], 24)
    styled = styled_rows(rows)
    assert [line.plain for line in styled] == list(rows)
    assert all(span.style == "$text-muted" for span in styled[0].spans)
    assert styled[1].spans and styled[1].spans[0].style == "$text-muted", "comment carried on"
    assert styled[-1].plain == "$ ls -la" and styled[-1].spans[0].end == 2, "only the prompt"


class _BoxApp(App[None]):
    CSS = "CommandsBox { width: 1fr; }"

    def compose(self) -> ComposeResult:
        yield CommandsBox(COMMANDS)


def _shown(box: CommandsBox) -> list[str]:
    content = box.render()
    assert isinstance(content, Content)
    return content.plain.split("\n")


async def test_the_box_cuts_rows_at_its_width_copies_commands_whole_and_recuts_on_resize():
    app = _BoxApp()
    async with app.run_test(size=(50, 20)) as pilot:
        box = app.query_one(CommandsBox)
        width = box.content_size.width
        await wait_for(pilot, lambda: len(_shown(box)) > 3, description="rows cut")
        rows = _shown(box)
        assert all(len(row.rstrip(" ")) <= width for row in rows)
        assert rows[2].startswith("  "), "a carried row is indented under its command"
        assert box.size.height == len(rows), "laid out for the rows it shows"
        assert box.text() == "\n".join(COMMANDS)
        app.screen.selections = {box: Selection(None, None)}
        await pilot.pause()
        assert app.screen.get_selected_text() == "\n".join(
            ["# create the cluster", f"$ {CREATE}", "$ kubectl version"]
        )
        await pilot.resize_terminal(250, 20)
        await wait_for(pilot, lambda: len(_shown(box)) == 3, description="one row each")


MANY = ["# check the cluster", *(f"kubectl get thing-{n}" for n in range(8)), CREATE]
MANY += [f"kubectl rollout status deployment/d-{n}" for n in range(8)]


class _ManyApp(App[None]):
    CSS = "CommandsBox { width: 1fr; }"

    def compose(self) -> ComposeResult:
        yield CommandsBox(MANY)


async def test_commands_left_out_are_counted_on_the_last_row():
    """Seven commands were shown and ctrl+y copied 17, with nothing to say the rest
    were there: the last row says how many are left out and that ctrl+y copies all."""
    app = _ManyApp()
    async with app.run_test(size=(80, 30)) as pilot:
        box = app.query_one(CommandsBox)
        await wait_for(pilot, lambda: _shown(box)[-1].startswith("…"), description="more row")
        rows = _shown(box)
        assert rows[-1] == "… 9 more: ctrl+y copies all 17 commands"
        assert len(rows) == 10 and box.outer_size.height == 12, "the border and ten rows"
        assert rows[-2] == "$ kubectl get thing-7", "the long create would not fit whole"
        assert box.text() == "\n".join(MANY), "ctrl+y still copies them all"


def test_only_whole_commands_are_shown_when_some_are_left_out():
    rows, hidden = fitting_rows(MANY, 40, 10)
    assert rows == command_rows(MANY[:9], 40) and hidden == MANY[9:]
    assert more_row(hidden, MANY) == "… 9 more: ctrl+y copies all 17 commands"
    assert fitting_rows(MANY[:5], 40, 10) == (command_rows(MANY[:5], 40), [])
    rows, hidden = fitting_rows([CREATE, "ls"], 30, 4)
    assert len(rows) == 3 and hidden == ["ls"], "a first command taller than the room"
