"""The README screenshots match the screens: change a screen, regenerate the pictures.

Runs the generator of ``scripts/screenshots.py`` in-process (the real wizard on the
demo emulators at speed 0, about 30 s) into a temporary folder and compares every SVG
byte for byte with the committed ``screenshots/``.
"""

from __future__ import annotations

from pathlib import Path

from scripts.screenshots import COMMITTED, generate, stale

REGENERATE = ".venv/bin/python scripts/screenshots.py"


def test_committed_screenshots_are_current(tmp_path: Path) -> None:
    fresh = tmp_path / "screenshots"
    generate(fresh)
    differing = stale(COMMITTED, fresh)
    assert not differing, (
        f"These screenshots no longer match the screens: {', '.join(differing)}. "
        f"Look at the new ones, then run `{REGENERATE}` and commit screenshots/ "
        f"(fresh copies are in {fresh})."
    )
