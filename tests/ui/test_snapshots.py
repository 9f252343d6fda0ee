"""Snapshots of every screen in its main states, at 80x24 and 120x40.

The scenes (``tests/ui/scenes.py``) use fixed session ids and times, a pinned clock,
the deterministic rendering switch and no cursor blink, so the pictures only change
when the UI does. Update with ``pytest tests/ui/test_snapshots.py --snapshot-update``
after looking at ``snapshot_report.html``.
"""

from __future__ import annotations

import pytest

from tests.ui.scenes import SCENES

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("scene", sorted(SCENES))
def test_screen(snap_compare, scene: str, size: tuple[int, int]) -> None:
    app, run_before = SCENES[scene]()
    assert snap_compare(app, terminal_size=size, run_before=run_before)
