"""Soft wrapping of log lines into rows that fit the log pane.

The log pane sits beside the form: about 37 columns at 120×40 and the full width at
80×24. Installer lines are longer than that ("[pass] server-version: Kubernetes 1.34
(v1.34.1-gke.1431000) supports KFP 2.17.0."), and cut at the pane's edge they lose
the part that matters. Wrapped rows keep every word on screen; a continuation row is
indented by ``CONTINUATION`` so it does not read as a line of its own.

Lines break at the last space that fits, or inside a word when none does in the last
two thirds of the row (a long URL or operation name). Nothing is dropped: the space a
row breaks at stays at its end (out of sight), and continuation rows are
``ContinuedRow``s, so a selection copied from the pane gives the line as written, not
the rows it was cut into (``selected_text``). Plain lines (printable ASCII)
are measured by their length; other lines cell by cell, after the same clean-up
``Log`` paints them with (tabs expanded, control codes replaced).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, get_character_cell_size
from textual.selection import Selection

CONTINUATION = "  "
"""Put before every row after a line's first."""

MIN_WRAP_WIDTH = 20
"""Narrower than this, rows would hold a word or two: lines are left whole instead."""


class ContinuedRow(str):
    """A row that carries on the line of the row above; its ``CONTINUATION`` is
    layout, not text."""

    __slots__ = ()


def wrap_plain(line: str, width: int) -> list[str]:
    """Rows of at most ``width`` characters for a printable-ASCII ``line``."""
    if len(line) <= width:
        return [line]
    return _wrap(line, width, cells=False)


def wrap_cells(line: str, width: int) -> list[str]:
    """Rows of at most ``width`` cells for a ``line`` already cleaned for painting
    (any characters: wide ones take two cells)."""
    if cell_len(line) <= width:
        return [line]
    return _wrap(line, width, cells=True)


def _wrap(line: str, width: int, cells: bool) -> list[str]:
    """The one loop for both. A flood of installer output wraps thousands of lines
    per drain on the event loop, so plain lines take ``len`` and the row width
    inline: passing measuring functions in made them 1.7 times as slow."""
    rows: list[str] = []
    room, then = width, max(1, width - len(CONTINUATION))
    while line and (cell_len(line) if cells else len(line)) > room:
        fit = _chars_in_cells(line, room) if cells else room
        cut = line.rfind(" ", fit // 3, fit + 1)
        end = fit if cut <= 0 else cut + 1  # a soft break keeps its space, out of sight
        rows.append(ContinuedRow(CONTINUATION + line[:end]) if rows else line[:end])
        line = line[end:]
        room = then
    if line:
        rows.append(ContinuedRow(CONTINUATION + line) if rows else line)
    return rows


def selected_text(rows: Sequence[str], selection: Selection) -> str:
    """The text under ``selection`` (row and column offsets, as ``Selection.extract``
    reads them) with continued rows joined back into their line."""
    if not rows:
        return ""
    start_y, start_x = (0, 0) if selection.start is None else selection.start.transpose
    if selection.end is None:
        end_y, end_x = len(rows) - 1, len(rows[-1])
    else:
        end_y, end_x = selection.end.transpose
    if end_y >= len(rows):
        end_y, end_x = len(rows) - 1, len(rows[-1])
    pieces: list[str] = []
    for y in range(start_y, end_y + 1):
        row = rows[y]
        low = start_x if y == start_y else 0
        high = end_x if y == end_y else len(row)
        if isinstance(row, ContinuedRow):
            low = max(low, len(CONTINUATION))
        elif y > start_y:
            pieces.append("\n")
        pieces.append(row[low:high])
    return "".join(pieces)


def _chars_in_cells(text: str, cells: int) -> int:
    """How many leading characters of ``text`` fit in ``cells`` (at least one, so a
    character wider than the row still moves the wrap on)."""
    used = 0
    for index, char in enumerate(text):
        used += get_character_cell_size(char)
        if used > cells:
            return max(index, 1)
    return len(text)
