"""The line of keys at the bottom of every screen: one widget, drawn as text.

Textual's ``Footer`` is a scrolling container holding one widget per key, and it
rebuilds them whenever the screen's bindings change: on mount, on every focus move, at
each run's start and end. On the first screen those seven widgets, their rebuild and
the two layouts it set off were the largest single cost before the screen was
interactive (see ``benchmarks/README.md``). This bar draws the same keys as one line of
text and repaints that line when they change; it never changes size, so it never lays
the screen out again.

It keeps what the footer offers: each key and its description in the theme's footer
colours, disabled keys dimmed, the key under the mouse highlighted with its tooltip, a
click presses the key, and the command palette's key at the right end. Keys that do not
fit the width are left off whole rather than cut in the middle: first the ones that
matter least (``LEAVE_OFF_FIRST``), then from the end, keeping Help and Quit to the last.
At 80 columns with the log focused, leaving off from the end dropped "f1 Help" and "^q
Quit", the keys a newcomer looks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import events
from textual.content import Content
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen

KEY_STYLE = "bold $footer-key-foreground on $footer-key-background"
DESCRIPTION_STYLE = "$footer-description-foreground on $footer-description-background"
HOVER_STYLE = "on $block-hover-background"
PALETTE_RULE = "▏"
"""Separates the command palette's key from the others, as the footer's left border."""

LEAVE_OFF_FIRST = ("copy_commands", "wrap", "unwrap", "save")
"""Actions whose keys go first when the line is too narrow, in this order: the commands
box and the log's border name their keys too, and F1 lists them all."""

KEEP_TO_THE_LAST = ("quit", "help")
"""Actions whose keys go last, in this order: the way out, and the way to help (F1
names the other keys)."""


@dataclass(frozen=True)
class ShownKey:
    """One key as the bar shows it."""

    key: str
    """What ``simulate_key`` presses (the binding's first key)."""
    display: str
    """The key as the app displays it (``^n``, ``esc``, ``f1``)."""
    description: str
    enabled: bool
    """False when the screen's ``check_action`` says the action is unavailable now."""
    tooltip: str
    palette: bool = False
    """The command palette's key, drawn at the right end."""
    action: str = ""
    """The binding's action (which keys go first when they do not all fit)."""

    @property
    def text(self) -> str:
        return f" {self.display} {self.description} "


def shown_keys(screen: Screen[object]) -> tuple[ShownKey, ...]:
    """The keys the screen offers now: bindings with ``show``, one per action, in
    binding order; then the command palette's key, if the app has a palette."""
    app = screen.app
    bindings = screen.active_bindings
    palette_key = app.COMMAND_PALETTE_BINDING if app.ENABLE_COMMAND_PALETTE else None

    def shown(key: str, palette: bool = False) -> ShownKey:
        _node, binding, enabled, tooltip = bindings[key]
        fallback = binding.description if palette else ""
        return ShownKey(
            binding.key,
            app.get_key_display(binding),
            binding.description,
            enabled,
            tooltip or binding.tooltip or fallback,
            palette=palette,
            action=binding.action,
        )

    keys: list[ShownKey] = []
    actions: set[str] = set()
    for key, (_node, binding, _enabled, _tooltip) in bindings.items():
        if not binding.show or key == palette_key or binding.action in actions:
            continue
        actions.add(binding.action)
        keys.append(shown(key))
    if palette_key is not None and palette_key in bindings:
        keys.append(shown(palette_key, palette=True))
    return tuple(keys)


def arrange(keys: tuple[ShownKey, ...], width: int) -> list[tuple[int, ShownKey]]:
    """Where each key starts on a line ``width`` cells wide: the others from the left,
    the palette's key against the right end; keys that do not fit are left off."""
    palette = [key for key in keys if key.palette]
    others = [key for key in keys if not key.palette]
    placed: list[tuple[int, ShownKey]] = []
    right = width
    if palette and len(PALETTE_RULE + palette[0].text) <= width:
        right = width - len(palette[0].text)
        placed.append((right, palette[0]))
        right -= len(PALETTE_RULE)
    for key in leave_off_order(others):
        if sum(len(k.text) for k in others) <= right:
            break
        others.remove(key)
    position = 0
    for key in others:
        placed.append((position, key))
        position += len(key.text)
    return sorted(placed, key=lambda item: item[0])


def leave_off_order(keys: list[ShownKey]) -> list[ShownKey]:
    """The order keys are left off in when they do not all fit: ``LEAVE_OFF_FIRST``,
    then the others from the end, then ``KEEP_TO_THE_LAST``."""

    def by(order: tuple[str, ...]) -> list[ShownKey]:
        return sorted((k for k in keys if k.action in order), key=lambda k: order.index(k.action))

    first, last = by(LEAVE_OFF_FIRST), by(KEEP_TO_THE_LAST)
    rest = [k for k in reversed(keys) if k not in first and k not in last]
    return [*first, *rest, *last]


class KeyBar(Widget):
    """The screen's keys on one line; click a key to press it."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        width: 1fr;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    """
    ALLOW_SELECT = False

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.keys: tuple[ShownKey, ...] = ()
        """What the bar shows now (tests and the hover read it)."""
        self._hovered: ShownKey | None = None

    def on_mount(self) -> None:
        self.keys = shown_keys(self.screen)
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        keys = shown_keys(screen)
        if keys != self.keys:
            self.keys = keys
            self._hover(None)
            self.refresh()

    def render(self) -> Content:
        parts: list[str | tuple[str, str]] = []
        column = 0
        for start, key in arrange(self.keys, self.size.width):
            if key.palette:
                parts.append(" " * (start - len(PALETTE_RULE) - column))
                parts.append((PALETTE_RULE, "$foreground 20%"))
            else:
                parts.append(" " * (start - column))
            parts.extend(self._key_parts(key))
            column = start + len(key.text)
        return Content.assemble(*parts)

    def _key_parts(self, key: ShownKey) -> list[str | tuple[str, str]]:
        dim = "" if key.enabled else " dim"
        hover = f" {HOVER_STYLE}" if key == self._hovered else ""
        return [
            (f" {key.display} ", KEY_STYLE + dim + hover),
            (f"{key.description} ", DESCRIPTION_STYLE + dim + hover),
        ]

    def key_at(self, x: int) -> ShownKey | None:
        """The key drawn at column ``x``, if any."""
        for start, key in arrange(self.keys, self.size.width):
            if start <= x < start + len(key.text):
                return key
        return None

    def _hover(self, key: ShownKey | None) -> None:
        if key == self._hovered:
            return
        self._hovered = key
        self.tooltip = key.tooltip if key is not None and key.tooltip else None
        self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover(self.key_at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._hover(None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self.key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
