"""The Verify summary shows the public URL whole, broken at its joints: a Rich table
cell cut it with "…" at 80 and 120 columns, and only the Checks had it, folded
mid-word."""

from __future__ import annotations

import json
from typing import Any

import pytest
from textual.geometry import Region
from textual.widgets import Static

from kfwizard.screens.verify import VerifyScreen, url_rows
from tests.ui.helpers import save_session, wait_for_screen
from tests.ui.scenes import DONE_UNTIL_INSTALL, INSTALLED, OUTPUTS, VERIFIED, pin

URL = "https://0123456789abcdef-dot-us-central1.pipelines.googleusercontent.com"


def test_a_long_url_breaks_after_a_joint() -> None:
    assert url_rows(URL, 60) == [
        "https://0123456789abcdef-dot-us-central1.pipelines.",
        "googleusercontent.com",
    ]
    assert url_rows(URL, 200) == [URL]
    assert url_rows("https://" + "x" * 30, 20) == ["https://", "x" * 20, "x" * 10]
    assert "".join(url_rows(URL, 13)) == URL and all(len(r) <= 13 for r in url_rows(URL, 13))


def summary_lines(summary: Static) -> list[str]:
    region = Region(0, 0, summary.outer_size.width, summary.outer_size.height)
    return ["".join(s.text for s in strip) for strip in summary.render_lines(region)]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_summary_shows_the_public_url_whole(store: Any, size: tuple[int, int]) -> None:
    from tests.ui.helpers import PlanApp

    verified: dict[str, Any] = json.loads(json.dumps(VERIFIED))
    verified["verify"]["public_url"] = URL
    steps = {**DONE_UNTIL_INSTALL, "preflight": "done", "apply": "done", "rollout": "done"}
    save_session(
        store,
        "s-url",
        status="done",
        phase_steps={**steps, "verify": "done"},
        outputs={**OUTPUTS, **verified},
        inventory=INSTALLED,
    )
    app = pin(PlanApp({}, store=store, session_id="s-url"))
    async with app.run_test(size=size) as pilot:
        screen = await wait_for_screen(pilot, VerifyScreen)
        await pilot.pause()
        lines = summary_lines(screen.query_one("#summary", Static))
        text = "\n".join(lines)
        assert "…" not in text, text
        start = next(i for i, line in enumerate(lines) if "Public URL" in line)
        column = lines[start].index("https://")
        rows = [lines[start][column:]]
        for line in lines[start + 1 :]:
            if line[:column].strip("│ "):
                break
            rows.append(line[column:])
        shown = "".join(r.rstrip(" │") for r in rows)
        assert shown.startswith(URL), text
        assert rows[0].rstrip(" │").endswith((".", "-", "/")), "broken at a joint"
