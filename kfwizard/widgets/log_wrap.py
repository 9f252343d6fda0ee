"""Soft wrapping of log lines into rows that fit the log pane.

The log pane sits beside the form: about 37 columns at 120×40 and the full width at
80×24. Installer lines are longer than that ("[pass] server-version: Kubernetes 1.34
(v1.34.1-gke.1431000) supports KFP 2.17.0."), and cut at the pane's edge they lose
the part that matters. Wrapped rows keep every word on screen; a continuation row is
indented by ``CONTINUATION`` so it does not read as a line of its own.

Lines break at the last space that fits, or inside a word when none does in the last
two thirds of the row (a long URL or operation name). Plain lines (printable ASCII)
are measured by their length; other lines cell by cell, after the same clean-up
``Log`` paints them with (tabs expanded, control codes replaced).
"""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size

CONTINUATION = "  "
"""Put before every row after a line's first."""

MIN_WRAP_WIDTH = 20
"""Narrower than this, rows would hold a word or two: lines are left whole instead."""


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
    room, prefix, then = width, "", max(1, width - len(CONTINUATION))
    while line and (cell_len(line) if cells else len(line)) > room:
        fit = _chars_in_cells(line, room) if cells else room
        cut = line.rfind(" ", fit // 3, fit + 1)
        if cut <= 0:
            rows.append(prefix + line[:fit])
            line = line[fit:]
        else:
            rows.append(prefix + line[:cut].rstrip(" "))
            line = line[cut + 1 :].lstrip(" ")
        prefix = CONTINUATION
        room = then
    if line:
        rows.append(prefix + line)
    return rows


def _chars_in_cells(text: str, cells: int) -> int:
    """How many leading characters of ``text`` fit in ``cells`` (at least one, so a
    character wider than the row still moves the wrap on)."""
    used = 0
    for index, char in enumerate(text):
        used += get_character_cell_size(char)
        if used > cells:
            return max(index, 1)
    return len(text)
