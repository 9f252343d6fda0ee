"""Proto-plus messages to JSON exactly as Google's REST front ends render them.

Real APIs leave out fields that hold their default value and use lowerCamelCase names;
enums are names unless the caller asked ``$alt=json;enum-encoding=int`` (the Python
clients do, gcloud does not). Rendering through the clients' own message types keeps the
emulators' answers in step with the client libraries.
"""

from __future__ import annotations

from typing import Any


def message_dict(message: Any, *, int_enums: bool) -> dict[str, Any]:
    """A proto-plus message as the JSON object Google would send."""
    return type(message).to_dict(
        message,
        use_integers_for_enums=int_enums,
        preserving_proto_field_name=False,
        always_print_fields_with_no_presence=False,
    )


def parse_message(message_type: Any, payload: dict[str, Any] | str) -> Any:
    """A request body as a proto-plus message; unknown fields are ignored like Google's
    front ends do for newer client versions."""
    import json

    from kfwizard.emulator.http import ApiError

    text = payload if isinstance(payload, str) else json.dumps(payload)
    try:
        return message_type.from_json(text, ignore_unknown_fields=True)
    except Exception as exc:  # json_format.ParseError and friends
        raise ApiError(400, f"Invalid JSON payload received. {exc}") from None
