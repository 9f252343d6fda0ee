"""What the manifests step's result depends on, as one key: here, apart from the step,
so ``kfwizard sessions`` can tell a changed Deployment mode from a prepared one without
loading the engine's steps (it must stay quick).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

SELECTION_KEYS = ("mode", "version", "env", "manifests", "gcp")


def deployment_of(selections: dict[str, Any]) -> dict[str, Any]:
    """The deployment choices, with the project they go into."""
    deployment = dict(selections.get("deployment") or {})
    if selections.get("project"):
        deployment["project"] = selections["project"]
    return deployment


def selection_key(deployment: dict[str, Any], server_version: Any, autopilot: Any) -> str:
    """What the step's result depends on; a change means render and judge again."""
    basis = {k: deployment.get(k) for k in (*SELECTION_KEYS, "project")}
    basis["server_version"] = server_version
    basis["autopilot"] = autopilot
    text = json.dumps(basis, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def selection_key_now(selections: dict[str, Any], outputs: dict[str, Any]) -> str:
    """:func:`selection_key` for these choices and what the session knows of its cluster
    (the connect and cluster steps' outputs), as ``ManifestsStep.check`` computes it."""
    return selection_key(
        deployment_of(selections),
        _mapping(outputs.get("connect")).get("server_version"),
        _mapping(outputs.get("cluster")).get("autopilot"),
    )


def mode_choices_changed(selections: dict[str, Any], outputs: dict[str, Any]) -> bool:
    """The mode, version, env or manifests were changed after the manifests were
    prepared, and not prepared again (the user quit first).

    The next run renders them again (the step's check compares the same key), but the
    step's record still says done: a resumed session opened past Deployment mode, on an
    Install screen naming the new env over the old plan, "✓ This step is done".
    """
    saved = _mapping(outputs.get("manifests")).get("selection_key")
    return bool(saved) and saved != selection_key_now(selections, outputs)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
