"""Cutting log lines into rows, and joining a selection back (pure functions)."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.geometry import Offset
from textual.selection import Selection

from kfwizard.widgets.log_wrap import (
    CONTINUATION,
    ContinuedRow,
    selected_text,
    wrap_cells,
    wrap_plain,
)

APPLY = "serverside-applied configmap/kfp-launcher-000005 in namespace kubeflow (6/100000)"


def rejoined(rows: list[str]) -> str:
    """The line back from its rows: continued rows lose their indent, nothing else."""
    return "".join(
        row.removeprefix(CONTINUATION) if isinstance(row, ContinuedRow) else row for row in rows
    )


def test_a_line_that_fits_is_one_row():
    assert wrap_plain("short line", 10) == ["short line"]
    assert wrap_cells("✓ done", 6) == ["✓ done"]


def test_breaks_at_the_last_space_that_fits_and_indents_what_follows():
    rows = wrap_plain(APPLY, 37)
    assert [row.rstrip() for row in rows] == [
        "serverside-applied",
        "  configmap/kfp-launcher-000005 in",
        "  namespace kubeflow (6/100000)",
    ]
    assert [type(row) for row in rows] == [str, ContinuedRow, ContinuedRow]
    assert rejoined(rows) == APPLY, "the spaces broken at stay, at the rows' ends"


def test_a_word_longer_than_the_row_is_cut_inside():
    """With no space in the row's last two thirds, the row is cut at its width."""
    url = "operation projects/kfwizard-demo/locations/us-central1-a/operations/operation-17"
    rows = wrap_plain(url, 30)
    assert rows[0] == "operation projects/kfwizard-de"
    assert all(len(row) <= 30 for row in rows)
    assert rejoined(rows) == url


@pytest.mark.parametrize("width", [20, 21, 37, 50])
def test_no_text_is_lost_and_no_row_is_too_wide(width):
    words = [f"w{n}" * (n % 9 + 1) for n in range(60)]
    line = " ".join(words) + "  two  spaces   three"
    rows = wrap_plain(line, width)
    assert all(len(row.rstrip(" ")) <= width for row in rows)
    assert rejoined(rows) == line


def test_wide_characters_count_two_cells():
    line = "✓ " + "中文" * 12 + " ünïcode words follow here"
    rows = wrap_cells(line, 20)
    assert all(cell_len(row.rstrip(" ")) <= 20 for row in rows)
    assert rows[0] == "✓ " + "中文" * 4 + "中", "no space in the row's last two thirds"
    assert rows[1] == CONTINUATION + "文" + "中文" * 4
    assert rejoined(rows) == line


def test_a_character_wider_than_the_row_still_moves_on():
    assert wrap_cells("中中中", 1) == ["中", "  中", "  中"]


def _selection(start: tuple[int, int] | None, end: tuple[int, int] | None) -> Selection:
    """From (row, column) pairs."""
    return Selection(
        None if start is None else Offset(start[1], start[0]),
        None if end is None else Offset(end[1], end[0]),
    )


def test_a_selection_across_wrapped_rows_is_the_line_as_written():
    rows = ["first line", *wrap_plain(APPLY, 37), "last"]
    assert selected_text(rows, _selection(None, None)) == f"first line\n{APPLY}\nlast"
    # From inside the first row of the long line to inside its last row.
    text = selected_text(rows, _selection((1, 11), (3, 11)))
    assert text == APPLY[11 : APPLY.index("namespace") + len("namespace")]
    # Starting in a continued row's indent takes nothing from the indent.
    assert selected_text(rows, _selection((2, 0), (2, 11))) == "configmap"
    # An end beyond the last row stops at the end.
    assert selected_text(rows, _selection((4, 0), (9, 0))) == "last"
