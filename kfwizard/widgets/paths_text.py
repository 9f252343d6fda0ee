"""Paths as people read them: ``~`` for the home folder, ``$KFWIZARD_HOME`` when set.

Showing ``$KFWIZARD_HOME/...`` instead of a temporary folder also keeps test
snapshots stable.
"""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path | str) -> str:
    text = str(path)
    home_override = os.environ.get("KFWIZARD_HOME")
    if home_override and text.startswith(home_override.rstrip("/")):
        return "$KFWIZARD_HOME" + text[len(home_override.rstrip("/")) :]
    home = os.path.expanduser("~")
    if home and home != "/" and text.startswith(home + os.sep):
        return "~" + text[len(home) :]
    return text
