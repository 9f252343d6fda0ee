"""The frame every question is asked in: a bordered box over the dimmed screen, a bold
title, the body, and its controls (a box to tick, a name to type) and buttons below.
The dialogs that ask (``ConfirmDialog``, ``SecretDialog``, ``TeardownDialog``) are this
frame with their own contents, so they look alike.

A body longer than the screen scrolls between the title and the controls: the buttons
are never pushed off the bottom, where Tab still reached them and Enter answered a
question nobody could read (a teardown preview at 80x24 hid "Also delete clusters"
and Delete that way)."""

from __future__ import annotations

from typing import TypeVar

from textual.containers import VerticalScroll
from textual.screen import ModalScreen

Answer = TypeVar("Answer")


class DialogBody(VerticalScroll):
    """The part of a dialog that scrolls when it does not fit. Tab stops here only
    when there is something to scroll (then the arrow keys and PgUp/PgDn scroll it)."""

    def allow_focus(self) -> bool:
        return self.max_scroll_y > 0


class FramedDialog(ModalScreen[Answer]):
    """A modal question; subclasses compose a ``Vertical`` holding a ``.dialog-title``
    label, a ``DialogBody`` and a ``Vertical.dialog-controls`` that ends with a
    ``Horizontal`` of buttons.

    The title is docked at the top and the controls at the bottom, so the body's
    ``max-height: 1fr`` is what they leave of the frame (at most 90% of the screen):
    a short body keeps the frame small, a long one scrolls."""

    DEFAULT_CSS = """
    FramedDialog {
        align: center middle;
        background: $background 60%;
        & > Vertical {
            width: 72;
            max-width: 95%;
            height: auto;
            max-height: 90%;
            border: thick $primary;
            background: $surface;
            padding: 1 2;
        }
        & .dialog-title {
            dock: top;
            text-style: bold;
            margin-bottom: 1;
        }
        & DialogBody {
            height: auto;
            max-height: 1fr;
            margin-bottom: 1;
            &:focus {
                scrollbar-color: $accent;
            }
        }
        & .dialog-body {
            height: auto;
        }
        & .dialog-controls {
            dock: bottom;
            height: auto;
        }
        & Horizontal {
            height: auto;
            align-horizontal: right;
        }
        & Button {
            margin-left: 2;
        }
    }
    """
