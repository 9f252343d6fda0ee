"""Cutting log lines into rows (pure functions, no app)."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from kfwizard.widgets.log_wrap import CONTINUATION, wrap_cells, wrap_plain

APPLY = "serverside-applied configmap/kfp-launcher-000005 in namespace kubeflow (6/100000)"


def test_a_line_that_fits_is_one_row():
    assert wrap_plain("short line", 10) == ["short line"]
    assert wrap_cells("✓ done", 6) == ["✓ done"]


def test_breaks_at_the_last_space_that_fits_and_indents_what_follows():
    assert wrap_plain(APPLY, 37) == [
        "serverside-applied",
        "  configmap/kfp-launcher-000005 in",
        "  namespace kubeflow (6/100000)",
    ]


def test_a_word_longer_than_the_row_is_cut_inside():
    """With no space in the row's last two thirds, the row is cut at its width."""
    url = "operation projects/kfwizard-demo/locations/us-central1-a/operations/operation-17"
    rows = wrap_plain(url, 30)
    assert rows[0] == "operation projects/kfwizard-de"
    assert all(len(row) <= 30 for row in rows)
    assert "".join(row.removeprefix(CONTINUATION) for row in rows[1:]) == url[30:]


@pytest.mark.parametrize("width", [20, 21, 37, 50])
def test_no_text_is_lost_and_no_row_is_too_wide(width):
    words = [f"w{n}" * (n % 5 + 1) for n in range(60)]  # none longer than a row
    line = " ".join(words)
    rows = wrap_plain(line, width)
    assert all(len(row) <= width for row in rows)
    assert " ".join(row.strip() for row in rows).split() == words


def test_wide_characters_count_two_cells():
    line = "✓ " + "中文" * 12 + " ünïcode words follow here"
    rows = wrap_cells(line, 20)
    assert all(cell_len(row) <= 20 for row in rows)
    assert rows[0] == "✓ " + "中文" * 4 + "中", "no space in the row's last two thirds"
    assert rows[1] == CONTINUATION + "文" + "中文" * 4
    assert "".join(rows).replace(CONTINUATION, "").replace(" ", "") == line.replace(" ", "")


def test_a_character_wider_than_the_row_still_moves_on():
    assert wrap_cells("中中中", 1) == ["中", "  中", "  中"]
