"""A live log pane for installer output that stays responsive at any volume.

Built on ``textual.widgets.Log`` (plain text, rendered line by line from a cache)
rather than ``RichLog``: measured on this project, 50,000 lines arrive in well under a
second through ``write_lines`` batches, while per-line writes take 10+ seconds.

Lines reach the pane in batches (``feed``, from message handlers) or through a
thread-safe queue (``feed_threadsafe``). Both are drained by one timer every 100 ms into
a single ``write_lines`` call, so however fast a step logs, the event loop does at most
ten writes a second.

Growing content does not relayout the screen. ``Log`` changes its ``virtual_size`` on
every write that adds lines or a wider line, and that reactive asks for a layout of the
whole screen (about 30 ms for the Install screen, and a full repaint after it). The
pane's own size never depends on its content, so only its scrollbars need to follow:
they are updated in place, and a layout is left for when a scrollbar appears or goes.
``Log`` also asks for its ``rich_style`` once per painted line, a walk up every
ancestor's styles; the pane keeps it until its styles change.

Plain lines (printable ASCII, the usual installer output) skip ``Log``'s general
path, which is written for any text: they are not split one by one, their width is
their length instead of a thread measuring every line's cells (about 50 ms of CPU per
10,000 lines, taken from the event loop through the GIL), and each is painted as one
segment instead of through a Rich ``Text``. Other lines (tabs, control codes, wide
characters, line breaks inside a line, empty lines) are split and measured as ``Log``
does, and painted by ``Log``, as are all lines under a selection or with highlighting.

Long lines wrap into rows that fit the pane (``log_wrap``), since beside a form it is
about 37 columns wide; ``w`` shows them whole instead, with a horizontal scrollbar.
``lines`` are the lines as written, ``Log``'s rows are what is painted, and at most
``max_lines`` rows are kept. Only the rows that will be kept are wrapped: a batch is
cut into rows from its end, and stops at ``max_lines``.

The pane follows new output until the user scrolls up (or presses ``f``); the title
says which. ``s`` saves the pane to a file in the session's
log folder. The complete log is always in the session log file the engine writes.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Log

from kfwizard import paths
from kfwizard.widgets.log_wrap import MIN_WRAP_WIDTH, selected_text, wrap_cells, wrap_plain
from kfwizard.wording import plural

if TYPE_CHECKING:
    from typing_extensions import Self

DRAIN_INTERVAL = 0.1
"""Seconds between drains of pending lines into the widget."""

MAX_LINES = 10_000
"""Lines kept on screen; older ones remain in the session log file."""

PLAIN_CHUNK = 256
"""Lines checked at once for being plain; only a chunk holding another line is
looked at line by line (a step's header line in a batch of 10,000 plain ones)."""

ODD_LINES_INLINE = 200
"""Lines that are not plain (headers like ``── Apply ──``, marks, non-ASCII output) are
measured cell by cell; up to this many per batch on the event loop (a few
microseconds each), more in ``Log``'s thread worker."""

_PRINTABLE = bytes(range(0x20, 0x7F))
"""Printable ASCII: one cell per character, nothing for ``Log`` to escape or split."""


def _plain(text: str) -> bool:
    """True when ``text`` is printable ASCII only (two passes in C, no per-character
    Python: ``str.isprintable`` and a regular expression are both ten times slower)."""
    return text.isascii() and not text.encode("ascii").translate(None, _PRINTABLE)


class LogPane(Log):
    """Installer output with follow/pause, wrapping and save-to-file."""

    class WrapToggled(Message):
        """The user switched wrapping (so the screen can remember the choice)."""

        def __init__(self, wrap: bool) -> None:
            super().__init__()
            self.wrap = wrap

    DEFAULT_CSS = """
    LogPane {
        height: 1fr;
        min-height: 5;
        border: round $border-blurred;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        padding: 0 1;
        overflow: auto auto;
        scrollbar-size-vertical: 1;
        &:focus {
            border: round $border;
        }
    }
    """

    # ``f`` and ``w`` each have two bindings, of which ``check_action`` lets the one
    # that names what the key does now take the key (and the key bar's label): the
    # bar said "f Follow" while the pane was following and f paused it.
    BINDINGS = [
        Binding("f", "pause", "Pause", tooltip="Hold the view where it is"),
        Binding("f", "follow", "Follow", tooltip="Jump to the newest line and follow"),
        Binding("w", "unwrap", "Unwrap", tooltip="Show long lines whole, scroll sideways"),
        Binding("w", "wrap", "Wrap", tooltip="Wrap long lines to the pane's width"),
        Binding("s", "save", "Save", tooltip="Save these lines to a file"),
        Binding("end", "jump_end", "End", show=False),
    ]

    def __init__(
        self,
        *,
        title: str = "Log",
        placeholder: str = "",
        session_id: str | None = None,
        max_lines: int = MAX_LINES,
        wrap: bool = True,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(max_lines=max_lines, auto_scroll=True, id=id, classes=classes)
        self.title = title
        """Shown in the border, with the follow state."""
        self.session_id = session_id
        """Where saved files go (``paths.session_log_dir``); None saves to the log root."""
        self.follow = True
        """Follow new lines; False holds the view where the user put it."""
        self.lines_received = 0
        """Every line fed so far (the pane itself keeps at most ``max_lines``)."""
        self.wrap = wrap
        """Cut long lines into rows that fit the pane (``w`` switches)."""
        self._wrapped_at = 0
        """The width the rows were cut at; 0 while not wrapping or not laid out yet."""
        self._source: list[str] = []
        self._pending: list[str] = []
        self._queue: queue.SimpleQueue[tuple[str, ...]] = queue.SimpleQueue()
        self._shown_title: tuple[bool, bool, int] | None = None
        """(following, wrapping, width) the border's subtitle was written for."""
        self._placeholder = placeholder
        self._placeholder_shown = False
        self._clearing = False
        self._rich_style: Style | None = None

    @property
    def rich_style(self) -> Style:
        """The pane's text style, kept until its styles change (``notify_style_update``,
        which Textual calls on every node a restyle reaches, and which empties
        ``Log``'s own cache of lines painted in this style)."""
        if self._rich_style is None:
            self._rich_style = super().rich_style
        return self._rich_style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._rich_style = None

    def _validate_virtual_size(self, size: Size) -> Size:
        """Take a new content size without a screen layout (see the module docstring).

        Textual calls this before storing ``virtual_size`` and lays the screen out when
        the value handed back differs from the one it read before the call. So the new
        size is stored here, the scrollbars are updated as a layout would update them
        (their showing or hiding still lays out), and the old value is handed back.
        """
        old = self.virtual_size
        if size == old or not self._grows_in_place():
            return size
        self.set_reactive(Widget.virtual_size, size)
        self._scroll_update(size)
        self.refresh()
        return old

    def write_lines(self, lines: Iterable[str], scroll_end: bool | None = None) -> Self:
        """``Log.write_lines`` (the same lines, pruning, refresh and scrolling), with
        plain lines measured by their length and, when wrapping, lines cut into rows
        that fit the pane (see the module docstring)."""
        batch = list(lines)
        if not batch:
            super().write_lines(batch, scroll_end)
            return self
        source, rows, width, odd = self._rows_for(batch)
        is_vertical_scroll_end = self.is_vertical_scroll_end
        auto_scroll = self.auto_scroll if scroll_end is None else scroll_end
        self._keep_source(source)
        self._lines.extend(rows)
        if self.max_lines is not None and len(self._lines) > self.max_lines:
            self._prune_max_lines()
        start = max(0, len(self._lines) - len(rows))
        cache = self._render_line_cache
        for y in [y for y in cache.keys() if y >= start]:  # noqa: SIM118 (no __iter__)
            cache.discard(y)
        self._measure(odd, width)
        ScrollView.refresh_lines(self, start, len(self._lines) - start)
        if auto_scroll and not self.is_vertical_scrollbar_grabbed and is_vertical_scroll_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            self.refresh()
        return self

    def _rows_for(self, batch: list[str]) -> tuple[list[str], list[str], int, list[str]]:
        """The lines ``batch`` keeps, their rows, the widest plain row and the other
        rows still to measure.

        As ``Log`` splits them, an empty line is dropped and a line break splits a
        line. Chunks are taken from the end and stop once they give ``max_lines``
        rows: the rows before those would be pruned at once, so they are not wrapped.
        """
        wrap = self._wrapped_at
        parts: list[tuple[list[str], list[str], list[str], int]] = []
        made = 0
        for end in range(len(batch), 0, -PLAIN_CHUNK):
            chunk = batch[max(0, end - PLAIN_CHUNK) : end]
            if "" not in chunk and _plain("".join(chunk)):
                longest = max(map(len, chunk))
                if wrap and longest > wrap:
                    rows = [row for line in chunk for row in wrap_plain(line, wrap)]
                    longest = wrap
                else:
                    rows = chunk
                parts.append((chunk, rows, [], longest))
            else:
                parts.append(self._odd_chunk(chunk, wrap))
            made += len(parts[-1][1])
            if self.max_lines is not None and made >= self.max_lines:
                break
        parts.reverse()
        source = [line for kept, _, _, _ in parts for line in kept]
        rows = [row for _, chunk_rows, _, _ in parts for row in chunk_rows]
        odd = [row for _, _, chunk_odd, _ in parts for row in chunk_odd]
        return source, rows, max(widest for _, _, _, widest in parts), odd

    def _odd_chunk(
        self, chunk: list[str], wrap: int
    ) -> tuple[list[str], list[str], list[str], int]:
        """A chunk holding a line that is not plain, line by line: its kept lines, its
        rows, the rows that are not plain (their cells still to measure) and the
        widest of the plain ones."""
        kept: list[str] = []
        rows: list[str] = []
        odd: list[str] = []
        widest = 0
        for line in chunk:
            if line and _plain(line):
                kept.append(line)
                wrapped = wrap_plain(line, wrap) if wrap else [line]
                rows.extend(wrapped)
                widest = max(widest, *map(len, wrapped))
                continue
            for part in line.splitlines():
                kept.append(part)
                # Wrapped after the clean-up painting does (tabs expanded): cells count.
                for row in wrap_cells(self._process_line(part), wrap) if wrap else [part]:
                    rows.append(row)
                    if _plain(row):
                        widest = max(widest, len(row))
                    else:
                        odd.append(row)
        return kept, rows, odd, widest

    def _keep_source(self, source: list[str]) -> None:
        """Keep the whole lines (for saving, and to wrap again at another width)."""
        self._source.extend(source)
        if self.max_lines is not None and len(self._source) > self.max_lines:
            del self._source[: len(self._source) - self.max_lines]

    def _measure(self, odd: list[str], width: int) -> None:
        """Take the new rows' width: plain rows are measured already; other rows by
        their cells, inline when few, else in ``Log``'s thread worker.

        Wrapped rows need no measuring: none is wider than the wrap width but for
        the space a row breaks at, which is out of sight and must not make a
        horizontal scrollbar.
        """
        if self._wrapped_at:
            width = self._wrapped_at if odd else min(width, self._wrapped_at)
        elif len(odd) > ODD_LINES_INLINE:
            self._update_size(self._updates, odd)
        elif odd:
            width = max(width, *(cell_len(self._process_line(line)) for line in odd))
        self._width = max(self._width, width)
        self.virtual_size = Size(self._width, len(self._lines))

    @property
    def lines(self) -> Sequence[str]:
        """The lines written, each whole however it is wrapped on screen (``Log``'s
        own ``lines`` are the rows painted)."""
        return self._source

    def clear(self) -> Self:
        self._source.clear()
        return super().clear()

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text with wrapped rows joined back into their lines."""
        return selected_text(self._lines, selection), "\n"

    # -- wrapping ------------------------------------------------------------------
    def _wrap_width(self) -> int:
        """The row width to wrap at now; 0 for no wrapping.

        A column is left for the vertical scrollbar even before it shows, so that
        its arrival does not narrow the rows and push the last character of each out
        of view (or make a horizontal scrollbar).
        """
        if not self.wrap:
            return 0
        width = self.content_size.width - self.styles.scrollbar_size_vertical
        return width if width >= MIN_WRAP_WIDTH else 0

    def _rewrap(self) -> None:
        """Cut the kept lines into rows again, at the pane's width now.

        At most ``max_lines`` rows are kept, so lines whose rows no longer fit (the
        oldest, when rows get narrower) leave the pane; the session log has them.
        """
        self._wrapped_at = self._wrap_width()
        if not self._source:
            return
        at = self.scroll_y / max(1, self.max_scroll_y)
        lines = list(self._source)
        self._source.clear()
        self._lines.clear()
        self._render_line_cache.clear()
        self._updates += 1
        self._width = 0
        self.write_lines(lines, scroll_end=False)
        if self._wrapped_at:
            self.scroll_to(x=0, animate=False, immediate=True)
        if self.follow:
            self.scroll_end(animate=False, x_axis=False)
        else:
            self.scroll_to(y=round(at * self.max_scroll_y), animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Of each pair of bindings on one key, only the one for what the key does now."""
        now = {
            "pause": self.follow,
            "follow": not self.follow,
            "unwrap": self.wrap,
            "wrap": not self.wrap,
        }
        return now.get(action, True)

    def action_unwrap(self) -> None:
        if self.wrap:
            self.action_toggle_wrap()

    def action_wrap(self) -> None:
        if not self.wrap:
            self.action_toggle_wrap()

    def action_toggle_wrap(self) -> None:
        """Wrap long lines, or show them whole with a horizontal scrollbar."""
        self.wrap = not self.wrap
        self._rewrap()
        self._update_title()
        self.post_message(self.WrapToggled(self.wrap))
        self.notify(
            "Long lines now wrap."
            if self.wrap
            else "Long lines are shown whole; scroll sideways to read them.",
            title="Log",
            timeout=2,
        )

    def _render_line_strip(self, y: int, rich_style: Style) -> Strip:
        """A plain line is one segment in the pane's style: what ``Log`` builds through
        a Rich ``Text`` and the console (no highlighting, no selection)."""
        line = self._lines[y]
        if self.highlight or not line or not _plain(line) or self.text_selection is not None:
            return super()._render_line_strip(y, rich_style)
        return Strip([Segment(line, rich_style)], len(line))

    def _grows_in_place(self) -> bool:
        """True when the pane's size cannot depend on its content (laid out already,
        no auto width or height)."""
        return bool(self.is_mounted and self.container_size) and not self.styles.auto_dimensions

    def on_mount(self) -> None:
        self.set_interval(DRAIN_INTERVAL, self.drain, name="log-drain")
        if self._placeholder and not self.line_count:
            self.write_line(self._placeholder)
            self._placeholder_shown = True
        self._update_title(force=True)

    # -- feeding -------------------------------------------------------------------
    def feed(self, lines: Iterable[str]) -> None:
        """Queue a batch of lines (call on the event loop; shown at the next drain)."""
        self._pending.extend(lines)

    def feed_threadsafe(self, lines: Iterable[str]) -> None:
        """Queue a batch from any thread; never blocks and never touches the widget."""
        self._queue.put(tuple(lines))

    def drain(self) -> int:
        """Write everything pending in one ``write_lines`` call; returns the count."""
        batch = self._pending
        self._pending = []
        while True:
            try:
                batch.extend(self._queue.get_nowait())
            except queue.Empty:
                break
        if batch:
            if self._placeholder_shown:
                self._clearing = True
                self.clear()
                self._clearing = False
                self._placeholder_shown = False
            self.lines_received += len(batch)
            keep = self.max_lines or len(batch)
            if len(batch) > keep:
                batch = batch[-keep:]
            self.write_lines(batch, scroll_end=False)
            if self.follow:
                # Deferred, so it uses the size after this write has been laid out.
                self.scroll_end(animate=False, x_axis=False)
        self._update_title()
        return len(batch)

    @property
    def pending(self) -> int:
        """Lines waiting for the next drain (queue size is approximate)."""
        return len(self._pending) + self._queue.qsize()

    # -- follow / pause ------------------------------------------------------------
    @property
    def following(self) -> bool:
        """True when new lines will scroll into view."""
        return self.follow

    def action_toggle_follow(self) -> None:
        if self.follow:
            self.action_pause()
        else:
            self.action_follow()

    def action_pause(self) -> None:
        """Hold the view: new lines no longer scroll it."""
        self.follow = False
        self._update_title(force=True)

    def action_follow(self) -> None:
        """Jump to the newest line and keep following."""
        self.follow = True
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self._update_title(force=True)

    def action_jump_end(self) -> None:
        """End: the newest line, following (also when following already: the view may
        have been scrolled sideways)."""
        self.action_follow()

    def on_resize(self) -> None:
        """Rows are cut again for a new width; a pane that changes size while
        following stays at the newest line."""
        if self._wrap_width() != self._wrapped_at:
            self._rewrap()
        self._update_title()
        if self.follow:
            self.scroll_end(animate=False, x_axis=False)

    def watch_show_horizontal_scrollbar(self) -> None:
        """Line widths are measured in a worker, so a horizontal scrollbar can appear
        after a write and take a row: keep the newest line in view when it does."""
        if self.follow:
            self.scroll_end(animate=False, x_axis=False)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Scrolling up pauses following; scrolling back to the end resumes it."""
        super().watch_scroll_y(old_value, new_value)
        if self._clearing:
            return
        at_end = new_value >= self.max_scroll_y
        # A resize that clamps the offset to the new end is not the user scrolling up.
        if self.follow and new_value < old_value and not at_end:
            self.follow = False
        elif not self.follow and at_end and self.max_scroll_y > 0:
            self.follow = True
        self._update_title()

    def _update_title(self, force: bool = False) -> None:
        """The title, and the keys in the border: the wrap key too where it fits (the
        pane beside a form is too narrow for all of them)."""
        shown = (self.follow, self.wrap, self.outer_size.width)
        if not force and shown == self._shown_title:
            return
        if self._shown_title is None or shown[:2] != self._shown_title[:2]:
            self.refresh_bindings()  # f and w now do the other thing: the key bar says so
        self._shown_title = shown
        self.border_title = self.title
        state = "following · f pause" if self.follow else "paused · f follow · End jumps"
        full = f"{state} · {'w unwrap' if self.wrap else 'w wrap'} · s save"
        room = self.outer_size.width - 6  # the corners, a rule each side, a space each side
        self.border_subtitle = full if len(full) <= room else f"{state} · s save"

    # -- saving --------------------------------------------------------------------
    def save_to_file(self, folder: Path | None = None) -> Path:
        """Write the pane's lines to a new file and return its path."""
        if folder is None:
            folder = paths.session_log_dir(self.session_id) if self.session_id else paths.log_dir()
        paths.ensure_private_dir(folder)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = folder / f"pane-{stamp}.log"
        counter = 1
        while target.exists():
            counter += 1
            target = folder / f"pane-{stamp}-{counter}.log"
        text = "" if self._placeholder_shown else "\n".join(self.lines)
        target.write_text(text + ("\n" if text else ""), encoding="utf-8")
        target.chmod(0o600)
        return target

    def action_save(self) -> None:
        if self._placeholder_shown or not self.lines:
            # An empty file would only be one more thing to open and find nothing in.
            self.notify(
                "Nothing to save yet: nothing has been written to this log.", title="Log not saved"
            )
            return
        try:
            target = self.save_to_file()
        except OSError as exc:
            self.notify(
                f"Could not save the log: {exc.strerror or exc}. The full log is still in the "
                "session log folder.",
                title="Log not saved",
                severity="error",
            )
            return
        from kfwizard.widgets.paths_text import display_path

        saved = plural(len(self.lines), "line")
        self.notify(f"{saved} saved to {display_path(target)}", title="Log saved")
