"""The frame every question is asked in: a bordered box over the dimmed screen, a bold
title, the body, and its buttons on the right. The dialogs that ask (``ConfirmDialog``,
``SecretDialog``) are this frame with their own contents, so they look alike."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

Answer = TypeVar("Answer")


class FramedDialog(ModalScreen[Answer]):
    """A modal question; subclasses compose a ``Vertical`` holding a ``.dialog-title``
    label, a ``.dialog-body`` and a ``Horizontal`` of buttons."""

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
            text-style: bold;
            margin-bottom: 1;
        }
        & .dialog-body {
            height: auto;
            margin-bottom: 1;
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
