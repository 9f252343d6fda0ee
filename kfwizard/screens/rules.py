"""Field rules for inline validation, from ``kfwizard.gcp.validation``.

Each validator returns None or the rule the value breaks; the field shows it under
the input, prefixed with the field's name.
"""

from __future__ import annotations

from typing import Any


def check(validator: str, value: Any) -> str | None:
    """Run ``kfwizard.gcp.validation.<validator>`` on ``value``: None or the rule."""
    from kfwizard.gcp import validation

    function = getattr(validation, validator)
    try:
        return function(value)
    except (TypeError, ValueError) as exc:  # validators should not raise; never crash a form
        return str(exc) or "is not valid"
