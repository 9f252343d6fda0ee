"""Run options shared by the wizard and headless runs.

Waits have generous defaults for real clusters. ``KFWIZARD_TIMEOUTS`` tunes them
(``stuck=30,rollout=600``: seconds per named wait), and the demo shortens how long a
broken workload may stay broken, so a rehearsed failure shows up in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kfwizard.engine.errors import BadInput

DEMO_TIMEOUTS = {"stuck": 15.0, "warn_grace": 10.0}


def parse_timeouts(text: str) -> dict[str, float]:
    """``"stuck=5,rollout=60"`` -> ``{"stuck": 5.0, "rollout": 60.0}``; BadInput otherwise."""
    result: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1.0
        if not sep or not name.strip() or seconds <= 0:
            raise BadInput(
                "KFWIZARD_TIMEOUTS", "must look like stuck=30,rollout=600 (positive seconds)", text
            )
        result[name.strip()] = seconds
    return result


def run_options(
    env: Mapping[str, str],
    *,
    demo: bool,
    yes: bool = False,
    skip_checks: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    timeouts: dict[str, float] = dict(DEMO_TIMEOUTS) if demo else {}
    timeouts.update(parse_timeouts(env.get("KFWIZARD_TIMEOUTS", "")))
    return {
        "env": dict(env),
        "demo": demo,
        "yes": yes,
        "skip_checks": dict(skip_checks or {}),
        "timeouts": timeouts,
    }
