"""Field rules for inline validation, from ``kfwizard.gcp.validation``.

Each validator returns None or the rule the value breaks. If that module is not
importable (it is optional at start-up), the wizard falls back to the same rules as
written in the design, so a field is never left unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_CLUSTER = re.compile(r"^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def _project(value: Any) -> str | None:
    if not isinstance(value, str) or not _PROJECT.match(value):
        return (
            "6-30 characters: lowercase letters, digits and hyphens; "
            "starts with a letter, does not end with a hyphen"
        )
    return None


def _cluster(value: Any) -> str | None:
    if not isinstance(value, str) or not _CLUSTER.match(value):
        return (
            "1-40 characters: lowercase letters, digits and hyphens; "
            "starts with a letter, does not end with a hyphen"
        )
    return None


def _location(value: Any) -> str | None:
    from kfwizard.gcp.locations import location_exists, suggest

    if isinstance(value, str) and location_exists(value):
        return None
    near = suggest(str(value)) if isinstance(value, str) and value else []
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    return f"must be an existing GKE zone or region, such as us-central1-a{hint}"


def _machine(value: Any) -> str | None:
    from kfwizard.gcp.machine_types import MACHINE_TYPES

    if value in MACHINE_TYPES:
        return None
    return "must be a known machine type, such as n1-standard-2 or e2-standard-4"


def _nodes(value: Any) -> str | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return "must be a whole number of at least 1"
    if isinstance(value, bool) or number < 1:
        return "must be a whole number of at least 1"
    if number > 100:
        return "must be at most 100 for a wizard-created cluster"
    return None


_FALLBACKS: dict[str, Callable[[Any], str | None]] = {
    "validate_project_id": _project,
    "validate_cluster_name": _cluster,
    "validate_location": _location,
    "validate_machine_type": _machine,
    "validate_node_count": _nodes,
}


def check(validator: str, value: Any) -> str | None:
    """Run ``kfwizard.gcp.validation.<validator>`` (or its fallback) on ``value``."""
    try:
        from kfwizard.gcp import validation

        function = getattr(validation, validator, None)
    except ImportError:
        function = None
    if function is None:
        function = _FALLBACKS[validator]
    try:
        return function(value)
    except (TypeError, ValueError) as exc:
        return str(exc) or "is not valid"
