"""The log pane under load, and its follow/pause and save features."""

from __future__ import annotations

import itertools
import time
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.selection import Selection
from textual.widget import Widget

from kfwizard.screens.install import InstallScreen
from kfwizard.widgets.log_pane import MAX_LINES, LogPane
from tests.ui.helpers import (
    READY_FOR_INSTALL,
    ChattyStep,
    PlanApp,
    save_session,
    wait_for,
    wait_for_screen,
)

TOTAL = 50_000


async def test_fifty_thousand_lines_through_the_bridge_stay_responsive(store, capsys):
    """50,000 lines in batches of 100-500 from a real Runner in the install worker.

    Measures the time until every line has reached the pane and the event loop's worst
    lag, seen by a 10 ms heartbeat. Only a generous sanity bound is asserted: the figures
    are printed for the record.
    """
    save_session(store, "s-load", phase_steps=READY_FOR_INSTALL)
    step = ChattyStep("apply", "Apply manifests", TOTAL, batches=[100, 250, 500, 175, 400, 320])
    app = PlanApp({"install": [step]}, store=store, session_id="s-load")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        log = screen.query_one(LogPane)
        beats: list[float] = []
        app.set_interval(0.01, lambda: beats.append(time.perf_counter()), name="heartbeat")
        await pilot.pause(0.05)
        started = time.perf_counter()
        await pilot.press("ctrl+n")
        await wait_for(
            pilot,
            lambda: log.lines_received >= TOTAL and log.pending == 0,
            timeout=120,
            description="all lines in the pane",
        )
        in_pane = time.perf_counter() - started
        await pilot.pause()
        shown = time.perf_counter() - started
        await app.workers.wait_for_complete([w for w in app.workers if w.group == "install"])
        window = [b for b in beats if b >= started]
        gaps = [b - a for a, b in itertools.pairwise(window)]
        worst = max(gaps, default=0.0)
        gaps.sort()
        p99 = gaps[int(len(gaps) * 0.99) - 1] if gaps else 0.0
        assert log.line_count == MAX_LINES
        assert log.lines[-1] == f"apply line {TOTAL - 1}" or log.lines[-1].startswith("✓ Apply")
        with capsys.disabled():
            print(
                f"\n[log pane] {TOTAL} lines via Runner -> EngineEvent -> LogPane: "
                f"in pane after {in_pane:.2f}s, on screen after {shown:.2f}s; "
                f"heartbeat (10 ms): {len(window)} beats, worst gap {worst * 1000:.0f} ms, "
                f"p99 gap {p99 * 1000:.0f} ms"
            )
        assert in_pane < 60, "sanity bound only"
        assert worst < 5.0, "the event loop must never stall for seconds"


async def test_follow_pause_and_save(store):
    save_session(store, "s-save", phase_steps=READY_FOR_INSTALL)
    step = ChattyStep("apply", "Apply manifests", 300, 100)
    app = PlanApp({"install": [step]}, store=store, session_id="s-save")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await wait_for_screen(pilot, InstallScreen)
        await pilot.press("ctrl+n")
        await app.workers.wait_for_complete([w for w in app.workers if w.group == "install"])
        log = screen.query_one(LogPane)
        await wait_for(
            pilot, lambda: log.lines_received >= 300 and log.pending == 0, description="drained"
        )
        await pilot.pause()
        assert log.following
        log.focus()
        await pilot.press("f")
        assert not log.follow and "paused" in str(log.border_subtitle)
        await pilot.press("f")
        assert log.follow and "following" in str(log.border_subtitle)
        log.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        assert not log.following, "scrolling up pauses the view"
        await pilot.press("end")
        await pilot.pause()
        assert log.following
        path = log.save_to_file()
        assert path.parent.name == "s-save"
        text = path.read_text()
        assert "apply line 299" in text and path.stat().st_mode & 0o777 == 0o600


class _PaneApp(App[None]):
    """The pane under a few containers, as on the Install screen, with a style to
    switch on (its text style comes from every ancestor)."""

    CSS = """
    LogPane { height: 12; }
    .alert LogPane { color: red; }
    """

    def __init__(self, wrap: bool = True, max_lines: int = MAX_LINES) -> None:
        super().__init__()
        self.wrap = wrap
        self.max_lines = max_lines

    def compose(self) -> ComposeResult:
        with Vertical(id="outer"), Vertical(id="inner"):
            yield LogPane(id="log", wrap=self.wrap, max_lines=self.max_lines)


async def _fed(pilot: Any, pane: LogPane, lines: list[str]) -> None:
    pane.feed(lines)
    pane.drain()
    await pilot.pause()


async def test_growing_content_moves_the_scrollbars_without_a_screen_layout():
    """Log asks for a layout of the whole screen on every write that adds lines; the
    pane's size never depends on them, so it only updates its scrollbars."""
    app = _PaneApp(wrap=False)
    async with app.run_test(size=(60, 20)) as pilot:
        pane = app.query_one(LogPane)
        await _fed(pilot, pane, [f"line {n}" for n in range(40)])
        assert pane.show_vertical_scrollbar and pane.following
        layouts: list[bool] = []
        original = app.screen._refresh_layout

        def counting(*args: Any, **kwargs: Any) -> None:
            layouts.append(bool(kwargs.get("scroll")))
            original(*args, **kwargs)

        app.screen._refresh_layout = counting  # type: ignore[method-assign]
        await _fed(pilot, pane, [f"line {n}" for n in range(40, 400)])
        assert not [full for full in layouts if not full], "a write laid the screen out"
        assert pane.virtual_size.height == pane.line_count == 400
        assert pane.vertical_scrollbar.window_virtual_size == 400
        assert pane.scroll_y == pane.max_scroll_y == 400 - pane.scrollable_content_region.height
        wide = "x" * 200
        await _fed(pilot, pane, [wide])
        await wait_for(pilot, lambda: pane.virtual_size.width >= 200, description="width")
        assert pane.show_horizontal_scrollbar, "a scrollbar that appears is still laid out"
        assert pane.horizontal_scrollbar.window_virtual_size >= 200


async def test_the_kept_text_style_follows_a_style_change():
    app = _PaneApp()
    async with app.run_test(size=(60, 20)) as pilot:
        pane = app.query_one(LogPane)
        await _fed(pilot, pane, ["hello"])
        before = pane.rich_style
        assert before == Widget.rich_style.fget(pane)  # type: ignore[attr-defined]
        app.query_one("#outer").add_class("alert")
        await pilot.pause()
        after = pane.rich_style
        assert after != before
        assert after == Widget.rich_style.fget(pane)  # type: ignore[attr-defined]


async def test_plain_lines_fast_path_matches_log() -> None:
    """Plain lines skip Log's general path; the lines kept, the content width and every
    painted line are what Log itself gives, for plain, odd and mixed batches."""
    from functools import partial

    from rich.cells import cell_len
    from textual.widgets import Log

    def width_is(widget: Log, width: int) -> bool:
        return widget.virtual_size.width == width

    class Both(App[None]):
        def compose(self) -> ComposeResult:
            yield LogPane(id="pane", max_lines=400, wrap=False)
            yield Log(id="log", max_lines=400)

    plain = [f"serverside-applied configmap/kfp-{n:04d} in namespace kubeflow" for n in range(600)]
    odd = ["tab\there", "ünïcode ✓ 中文", "esc \x1b[31m red", "two\nlines", "", "── Apply ──" * 20]
    batches = [
        plain[:300],
        odd,
        plain[300:] + odd + ["x" * 250],
        ["中文 " * n for n in range(1, 260)],
    ]
    app = Both()
    async with app.run_test(size=(80, 30)) as pilot:
        pane, log = app.query_one(LogPane), app.query_one("#log", Log)
        widest = 0
        for batch in batches:
            pane.write_lines(batch)
            log.write_lines(batch)
            lines = [part for line in batch for part in line.splitlines()]
            widest = max(widest, *(cell_len(Log._process_line(line)) for line in lines))
            for widget in (log, pane):
                await wait_for(pilot, partial(width_is, widget, widest), 5, "the width")
            assert pane.virtual_size == log.virtual_size
            assert list(pane.lines) == list(log.lines)
            style = pane.rich_style
            for y in range(len(pane.lines)):
                mine, theirs = (
                    pane._render_line_strip(y, style),
                    Log._render_line_strip(pane, y, style),
                )
                assert list(mine) == list(theirs) and mine.cell_length == theirs.cell_length


LONG = "[pass] server-version: Kubernetes 1.34 (v1.34.1-gke.1431000) supports KFP 2.17.0."
TABBED = "tab\tthere " * 8


def _rows(pane: LogPane) -> list[str]:
    """The rows painted for the pane's lines (``Log``'s own ``lines``)."""
    return list(pane._lines)


async def test_long_lines_wrap_to_the_pane_and_stay_whole(tmp_path):
    """Beside a form the pane is narrow: a long line becomes rows that fit, continued
    rows indented, no horizontal scrollbar; the lines written are kept whole, and
    saving writes them whole."""
    from rich.cells import cell_len

    app = _PaneApp()
    async with app.run_test(size=(40, 20)) as pilot:
        pane = app.query_one(LogPane)
        await _fed(pilot, pane, [LONG, "short", TABBED, "中文" * 30])
        width = pane.scrollable_content_region.width
        rows = _rows(pane)
        written = [LONG, "short", TABBED, "中文" * 30]
        assert list(pane.lines) == written
        assert len(rows) > 4 and all(cell_len(row.rstrip(" ")) <= width for row in rows)
        assert not pane.show_horizontal_scrollbar and pane.virtual_size.width <= width
        long_rows = rows[: rows.index("short")]
        assert long_rows[0].startswith("[pass] server-version:")
        assert all(row.startswith("  ") and row[2] != " " for row in long_rows[1:])
        assert " ".join(row.strip() for row in long_rows) == LONG, "no word is lost"
        pane.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        painted = [pane.render_line(y).text for y in range(len(long_rows))]
        assert [line.rstrip() for line in painted] == [row.rstrip() for row in long_rows]
        saved = pane.save_to_file(tmp_path).read_text().splitlines()
        assert saved == written
        # Copying a selection gives the lines as written, not the rows on screen.
        app.screen.selections = {pane: Selection(None, None)}
        await pilot.pause()
        copied = app.screen.get_selected_text()
        assert copied is not None
        assert copied.split("\n")[:2] == [LONG, "short"]
        assert copied.split("\n")[-1] == "中文" * 30


async def test_rows_are_cut_again_when_the_pane_changes_width():
    app = _PaneApp()
    async with app.run_test(size=(40, 20)) as pilot:
        pane = app.query_one(LogPane)
        await _fed(pilot, pane, [f"{LONG} ({n})" for n in range(30)])
        narrow = len(_rows(pane))
        assert narrow >= 90 and pane.following
        await pilot.resize_terminal(140, 20)
        await wait_for(pilot, lambda: len(_rows(pane)) == 30, description="one row a line")
        assert _rows(pane) == list(pane.lines)
        await pilot.pause()
        assert pane.scroll_y == pane.max_scroll_y, "still following the newest line"
        await pilot.resize_terminal(40, 20)
        await wait_for(pilot, lambda: len(_rows(pane)) == narrow, description="narrow rows")


async def test_w_shows_long_lines_whole_and_back():
    app = _PaneApp()
    async with app.run_test(size=(40, 20)) as pilot:
        pane = app.query_one(LogPane)
        await _fed(pilot, pane, [LONG, "short"])
        pane.focus()
        await pilot.press("w")
        assert not pane.wrap and _rows(pane) == [LONG, "short"]
        await wait_for(pilot, lambda: pane.show_horizontal_scrollbar, description="scrollbar")
        await pilot.press("w")
        assert pane.wrap and len(_rows(pane)) > 2
        await wait_for(
            pilot, lambda: not pane.show_horizontal_scrollbar, description="no scrollbar"
        )
        assert pane.scroll_x == 0


async def test_max_lines_caps_the_rows_and_only_kept_rows_are_wrapped():
    """With ``max_lines`` 30, a batch of 100 three-row lines keeps the rows of the
    last ten: those are wrapped, the rest is dropped unwrapped."""
    app = _PaneApp(max_lines=30)
    async with app.run_test(size=(40, 20)) as pilot:
        pane = app.query_one(LogPane)
        lines = [f"{LONG} ({n})" for n in range(100)]
        await _fed(pilot, pane, lines)
        rows = _rows(pane)
        assert len(rows) == 30 and rows[-1].endswith("(99)")
        assert list(pane.lines)[-1] == lines[-1] and len(pane.lines) < 100
        await _fed(pilot, pane, ["one more"])
        assert len(_rows(pane)) == 30 and _rows(pane)[-1] == "one more"


async def test_the_border_names_the_wrap_key_where_it_fits():
    app = _PaneApp()
    async with app.run_test(size=(80, 20)) as pilot:
        pane = app.query_one(LogPane)
        await _fed(pilot, pane, [LONG])
        assert str(pane.border_subtitle) == "following · f pause · w unwrap · s save"
        pane.focus()
        await pilot.press("w")
        assert str(pane.border_subtitle) == "following · f pause · w wrap · s save"
        await pilot.resize_terminal(40, 20)
        await wait_for(
            pilot,
            lambda: str(pane.border_subtitle) == "following · f pause · s save",
            description="the short keys",
        )


async def test_saving_says_how_many_lines_and_an_empty_pane_saves_nothing(kfwizard_home):
    class _Placeheld(App[None]):
        def compose(self) -> ComposeResult:
            yield LogPane(id="log", placeholder="Nothing has run on this step yet.")

    app = _Placeheld()
    async with app.run_test(size=(80, 20)) as pilot:
        pane = app.query_one(LogPane)
        folder = kfwizard_home / "log"
        pane.focus()
        await pilot.press("s")
        notes = [n.message for n in app._notifications]
        assert notes == ["Nothing to save yet: nothing has been written to this log."]
        assert not folder.exists() or not list(folder.iterdir()), "no empty file written"
        app.clear_notifications()
        await _fed(pilot, pane, ["only line"])
        await pilot.press("s")
        [note] = [n.message for n in app._notifications]
        assert note.startswith("1 line saved to "), note
        [saved] = list(folder.iterdir())
        assert saved.read_text() == "only line\n"
