"""Regenerate the README screenshots, or check that the committed ones are current.

    .venv/bin/python scripts/screenshots.py            # write screenshots/*.svg
    .venv/bin/python scripts/screenshots.py --check    # exit 1 listing stale ones
    .venv/bin/python scripts/screenshots.py --out DIR  # write (or --check) elsewhere
    .venv/bin/python scripts/screenshots.py --out /tmp/shots --all-narrow  # + every 80x24

The pictures come from the real wizard driving the demo emulators (see
``scripts/screenshot_scenes.py``), so a screen change shows up here; the same input
gives byte-identical SVGs (``scripts/screenshot_env.py`` and ``screenshot_svg.py`` say
how). ``tests/test_screenshots.py`` runs the check in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file, `scripts` is not importable otherwise
    sys.path.insert(0, str(ROOT))

from scripts.screenshot_env import shot_world  # noqa: E402
from scripts.screenshot_scenes import take_all  # noqa: E402

COMMITTED = ROOT / "screenshots"


def generate(folder: Path, all_narrow: bool = False) -> list[Path]:
    """Write the screenshots into ``folder`` (created if needed); return the files.

    ``all_narrow`` adds an 80x24 variant of every shot (to look at, not to commit).
    """
    with shot_world() as world:
        return asyncio.run(take_all(world, folder, all_narrow))


def stale(committed: Path, fresh: Path) -> list[str]:
    """Names of screenshots that differ between the two folders (or exist in one only)."""
    names = {p.name for p in committed.glob("*.svg")} | {p.name for p in fresh.glob("*.svg")}
    differing = []
    for name in sorted(names):
        old, new = committed / name, fresh / name
        if not old.exists() or not new.exists() or old.read_bytes() != new.read_bytes():
            differing.append(name)
    return differing


def check(committed: Path = COMMITTED) -> list[str]:
    """Regenerate into a temporary folder and list what differs from ``committed``."""
    with tempfile.TemporaryDirectory(prefix="kfwizard-shots-check-") as tmp:
        generate(Path(tmp))
        return stale(committed, Path(tmp))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any screenshot is stale")
    parser.add_argument(
        "--out",
        type=Path,
        default=COMMITTED,
        help="where the SVGs go (with --check: the ones to compare)",
    )
    parser.add_argument(
        "--all-narrow", action="store_true", help="also write every shot at 80x24 (to look at)"
    )
    args = parser.parse_args(argv)
    if args.check and args.all_narrow:
        parser.error("--check compares the committed set; --all-narrow is for looking")
    started = time.monotonic()
    if args.check:
        differing = check(args.out)
        for name in differing:
            print(f"stale: {args.out / name}")
        if differing:
            print("Regenerate with: .venv/bin/python scripts/screenshots.py")
            return 1
        print(f"screenshots are current ({time.monotonic() - started:.0f} s)")
        return 0
    made = generate(args.out, all_narrow=args.all_narrow)
    for path in made:
        print(path)
    if args.out.resolve() == COMMITTED.resolve():
        kept = {path.resolve() for path in made}
        for leftover in sorted(p for p in COMMITTED.glob("*.svg") if p.resolve() not in kept):
            leftover.unlink()  # a shot that is no longer taken would fail --check
            print(f"removed {leftover}")
    print(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
