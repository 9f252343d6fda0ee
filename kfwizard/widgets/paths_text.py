"""Paths as people read them, and type them: ``~`` for the home folder, else the path.

The wizard's paths are things to open or type in another terminal (``. …/env.sh`` to
reach the demo's emulators, the sessions folder, a saved log), so they are shown as a
shell takes them. ``$KFWIZARD_HOME/…`` read well, but pointed nowhere in a terminal
where the variable is not set: the tester's, after ``KFWIZARD_HOME=… kfwizard --demo``.

Tests and screenshots run in a temporary ``KFWIZARD_HOME`` with deterministic rendering
(``KFWIZARD_UI_DETERMINISTIC=1``); there, and only there, the folder is shown as
``$KFWIZARD_HOME``, so snapshots do not change from run to run.
"""

from __future__ import annotations

import os
from pathlib import Path

DETERMINISTIC_ENV = "KFWIZARD_UI_DETERMINISTIC"
"""The app's switch for stable rendering (``kfwizard.app.DETERMINISTIC_ENV``)."""


def display_path(path: Path | str) -> str:
    """``path`` as it can be typed in another terminal (``~/…`` for the home folder);
    under deterministic rendering, ``$KFWIZARD_HOME/…`` for the wizard's folder."""
    text = str(path)
    home_override = os.environ.get("KFWIZARD_HOME", "").rstrip("/")
    deterministic = os.environ.get(DETERMINISTIC_ENV) == "1"
    inside = text == home_override or text.startswith(home_override + os.sep)
    if deterministic and home_override and inside:
        return "$KFWIZARD_HOME" + text[len(home_override) :]
    home = os.path.expanduser("~")
    if home and home != "/" and text.startswith(home + os.sep):
        return "~" + text[len(home) :]
    return text
