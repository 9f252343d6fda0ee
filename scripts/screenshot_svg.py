"""Turning a live screen into a stable SVG.

Two things make a screenshot differ between runs even when the UI has not changed:

- The screen may still be settling when the picture is taken (a log pane drains every
  50 ms, a worker fills a list, a scrollbar appears once line widths are measured).
  :func:`settled_svg` therefore exports until several exports in a row are identical.
- A few values are different on every run by nature: the loopback ports the emulators
  listen on, the operation ids GKE and Service Usage hand out, and how long a step
  took (at speed 0 that is "0s", but "1s" on a busy machine). :func:`normalise`
  replaces them with fixed placeholders of the same width (so no line wraps
  differently), and then re-derives Rich's ``terminal-NNN`` id (a hash of the text
  before normalising) from the normalised text.

The SVG spells a space ``&#160;``; the patterns below match that.
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _same_width(fill: str) -> Callable[[re.Match[str]], str]:
    """A replacement that keeps the matched text's length (layout must not move)."""

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        return (fill * len(text))[: len(text)]

    return replace


SPACE = "&#160;"


def _digits(match: re.Match[str]) -> str:
    """Zero the number at the end of the match (entities and padding before it stay)."""
    text = match.group(0)
    head = text.rstrip("0123456789.")
    return head + re.sub(r"\d", "0", text[len(head) :])


DIGITS, HEX = "4807152936", "7c3e9a15d2b84f60"
"""Stand in for the varying parts of an id: they look like one, the same on every run."""


def _fixed_id(match: re.Match[str]) -> str:
    """Keep an id's shape: its first group (a project number or a clock) gets digits,
    the random groups after it hex; hyphens stay where they were."""
    head, *rest = match.group(0).split("-")
    fill = [(DIGITS * len(head))[: len(head)]]
    fill += [(HEX * len(group))[: len(group)] for group in rest]
    return "-".join(fill)


RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    # 127.0.0.1:43817 -> 127.0.0.1:00000 (the emulators' ports are picked by the OS).
    (re.compile(r"(?<=127\.0\.0\.1:)\d+"), _same_width("0")),
    # GKE: operation-1764331200123-5f1e... (a clock and a random part).
    (re.compile(r"(?<=operation-)[0-9a-f-]+"), _fixed_id),
    # Service Usage: operations/acf.p2-974778538808-d2ba3032-... (a random uuid).
    (re.compile(r"(?<=operations/acf\.p2-)[0-9a-f-]+"), _fixed_id),
    # Durations in log lines: "applied in 0.3 s", "done in 0.4s" -> "0.0" (also when
    # the pane's edge cuts the line after the number).
    (re.compile(rf"(?<=in{SPACE})\d+\.\d(?=(?:{SPACE})?s\b|(?:{SPACE})?</text>)"), _digits),
    # The step list's elapsed column: a span of padding and "0s" alone.
    (re.compile(rf"(?<=\">)(?:{SPACE})+\d+(?=s</text>)"), _digits),
]

_UNIQUE_ID = re.compile(r"terminal-\d+")


def normalise(svg: str) -> str:
    """Replace per-run values with fixed ones and recompute the SVG's unique id."""
    for pattern, replace in RULES:
        svg = pattern.sub(replace, svg)
    body = _UNIQUE_ID.sub("terminal", svg)
    return _UNIQUE_ID.sub(f"terminal-{zlib.adler32(body.encode('utf-8'))}", svg)


async def settled_svg(pilot: Any, *, repeats: int = 3, timeout: float = 20.0) -> str:
    """Export the screen until ``repeats`` exports in a row are the same; return it."""
    app = pilot.app
    started = time.monotonic()
    last, same = "", 0
    while same < repeats:
        if time.monotonic() - started > timeout:
            raise AssertionError(f"the screen did not settle within {timeout:.0f}s")
        await pilot.pause(0.06)  # longer than the log pane's 50 ms drain
        svg = app.export_screenshot()
        same = same + 1 if svg == last else 0
        last = svg
    return last


async def save_settled(pilot: Any, folder: Path, name: str) -> Path:
    """Wait for a still screen, save it with ``app.save_screenshot``, then normalise it."""
    await settled_svg(pilot)
    folder.mkdir(parents=True, exist_ok=True)
    saved = Path(pilot.app.save_screenshot(filename=f"{name}.svg", path=str(folder)))
    saved.write_text(normalise(saved.read_text(encoding="utf-8")), encoding="utf-8")
    return saved
