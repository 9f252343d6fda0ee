"""A ``Static`` whose new content lays the screen out only when its height changes.

``Static.update`` asks for a layout every time, because new content may need a
different size. For the step list and the commands box, which change while a run
floods the log, that is a layout of the screen and a repaint of everything that moved,
once per step start, finish and progress report, and on every tick of the step
timer, while the text almost always keeps its number of lines. These widgets fill
their width and size their height to their content, so the content's height at the
current width is all a layout would change. The same content again is not repainted
at all.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class SteadyStatic(Static):
    """A ``Static`` for content set with :meth:`show`."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown: Content | None = None
        self._measured: tuple[int, int] | None = None
        """(content width, content height) of the shown content when it was set."""

    def show(self, content: Content) -> None:
        """Show ``content``; lay out only when its height at the current width differs
        from what is shown (or the width is unknown or depends on the content)."""
        if self._shown is not None and content == self._shown:
            return
        width = self.size.width if self.is_mounted else 0
        measured = (width, self._height(content, width)) if width else None
        auto_width = self.styles.width is not None and self.styles.width.is_auto
        layout = measured is None or auto_width or measured != self._measured
        self._shown, self._measured = content, measured
        self.update(content, layout=layout)

    def on_resize(self) -> None:
        """The shown content was laid out at a new width: measure it there."""
        if self._shown is not None and self.size.width:
            self._measured = (self.size.width, self._height(self._shown, self.size.width))

    def _height(self, content: Content, width: int) -> int:
        """The content's height at ``width``, as ``Widget.get_content_height`` has it."""
        return content.get_height(self.styles, width)  # type: ignore[arg-type]
