"""A screen whose first showing does not style its widgets a second time.

Textual sends a screen ``ScreenResume`` each time it becomes the top screen, and the
event restyles the screen and everything on it. On the first showing that repeats work
just done: every widget was styled when it mounted, and any class changed since then
restyled its own widget. For the Project step that second pass was 38 widgets, about a
tenth of the time to the first interactive screen. Later resumes (back from a dialog,
a theme change while away) still restyle: there the styles may really be stale.
"""

from __future__ import annotations

from textual import events
from textual.screen import Screen


class StyledOnceScreen(Screen[None]):
    """Skips the restyle of the first ``ScreenResume``; later ones run as usual."""

    _shown_before = False

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler (subclass first), which reads the flag.
        if not self._shown_before:
            self._shown_before = True
            event.refresh_styles = False
