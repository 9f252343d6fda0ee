"""Request bodies in Kubernetes' protobuf encoding, for the kinds kubectl sends that way.

kubectl 1.33 posts its access reviews as ``application/vnd.kubernetes.protobuf``
(``kubectl auth can-i create crds``, the Install step's preflight commands): read as
JSON, they failed with "couldn't get version/kind; json parse error". The review kinds
are read here, field by field, into the JSON shape the API server would have read;
any other kind is refused with 415 as the real server refuses protobuf for custom
resources, naming what it accepts.

The encoding is a 4-byte magic, then a ``runtime.Unknown`` message holding the
apiVersion and kind and, as bytes, the object's own message
(k8s.io/apimachinery/pkg/runtime/generated.proto).
"""

from __future__ import annotations

from typing import Any

from kfwizard.emulator.kube.errors import ApiError, bad_request

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"

Schema = dict[int, tuple[str, Any]]
"""Field number -> (JSON name, type): ``"string"``, ``"strings"`` (a repeated string)
or a nested :data:`Schema`. Fields not named are not read (a review's status, which
the server writes)."""

OBJECT_META: Schema = {
    1: ("name", "string"),
    2: ("generateName", "string"),
    3: ("namespace", "string"),
}
"""The fields of ObjectMeta a review may carry; the rest (labels, owners...) are unread."""

RESOURCE_ATTRIBUTES: Schema = {
    1: ("namespace", "string"),
    2: ("verb", "string"),
    3: ("group", "string"),
    4: ("version", "string"),
    5: ("resource", "string"),
    6: ("subresource", "string"),
    7: ("name", "string"),
}
NON_RESOURCE_ATTRIBUTES: Schema = {1: ("path", "string"), 2: ("verb", "string")}
ACCESS_SPEC: Schema = {
    1: ("resourceAttributes", RESOURCE_ATTRIBUTES),
    2: ("nonResourceAttributes", NON_RESOURCE_ATTRIBUTES),
    3: ("user", "string"),
    4: ("groups", "strings"),
    6: ("uid", "string"),
}
"""SubjectAccessReviewSpec; SelfSubjectAccessReviewSpec is its first two fields."""

KINDS: dict[tuple[str, str], Schema] = {
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): {
        1: ("metadata", OBJECT_META),
        2: ("spec", ACCESS_SPEC),
    },
    ("authorization.k8s.io/v1", "SubjectAccessReview"): {
        1: ("metadata", OBJECT_META),
        2: ("spec", ACCESS_SPEC),
    },
    ("authorization.k8s.io/v1", "LocalSubjectAccessReview"): {
        1: ("metadata", OBJECT_META),
        2: ("spec", ACCESS_SPEC),
    },
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): {
        1: ("metadata", OBJECT_META),
        2: ("spec", {1: ("namespace", "string")}),
    },
    ("authentication.k8s.io/v1", "SelfSubjectReview"): {1: ("metadata", OBJECT_META)},
    ("authentication.k8s.io/v1", "TokenReview"): {
        1: ("metadata", OBJECT_META),
        2: ("spec", {1: ("token", "string"), 2: ("audiences", "strings")}),
    },
}
"""The kinds read from protobuf: the reviews, which kubectl's typed clients send so."""


def is_protobuf(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == MEDIA_TYPE


def decode_object(raw: bytes) -> dict[str, Any]:
    """The object in a protobuf request body, as the JSON the API server would read;
    ``ApiError`` 400 for a body that is not protobuf, 415 for a kind not read here."""
    if not raw.startswith(MAGIC):
        raise bad_request("the body is not in Kubernetes' protobuf encoding (no k8s magic)")
    try:
        unknown = _fields(raw[len(MAGIC) :])
        type_meta = _fields(_last(unknown, 1, b""))
        api_version = _text(_last(type_meta, 1, b""))
        kind = _text(_last(type_meta, 2, b""))
        schema = KINDS.get((api_version, kind))
        if schema is None:
            raise ApiError(
                415,
                f"the body of the request was in an unknown format: the kfwizard emulator "
                f"reads {MEDIA_TYPE} only for access and token reviews, not {kind or 'this'} "
                f"({api_version or 'no apiVersion'}) - accepted media types include: "
                "application/json, application/yaml, application/apply-patch+yaml",
            )
        obj = _decode(_fields(_last(unknown, 2, b"")), schema)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"couldn't decode the protobuf body: {exc}") from exc
    return {"apiVersion": api_version, "kind": kind, **obj}


def _decode(fields: dict[int, list[Any]], schema: Schema) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for number, (name, kind) in schema.items():
        values = fields.get(number)
        if not values:
            continue
        if kind == "strings":
            out[name] = [_text(v) for v in values]
        elif kind == "string":
            out[name] = _text(values[-1])
        elif isinstance(kind, dict):
            out[name] = _decode(_fields(values[-1]), kind)
    return out


def _fields(data: bytes) -> dict[int, list[Any]]:
    """The message ``data`` as field number -> values (ints for varints, bytes for
    length-delimited and fixed-width fields), in the order they came."""
    fields: dict[int, list[Any]] = {}
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, at = _varint(data, at)
        elif wire == 2:
            length, at = _varint(data, at)
            if at + length > len(data):
                raise ValueError("a field runs past the end of the body")
            value, at = data[at : at + length], at + length
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            value, at = data[at : at + width], at + width
        else:
            raise ValueError(f"wire type {wire} of field {number} is not supported")
        fields.setdefault(number, []).append(value)
    return fields


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("a number runs past the end of the body")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def _last(fields: dict[int, list[Any]], number: int, default: bytes) -> bytes:
    values = fields.get(number)
    value = values[-1] if values else default
    if not isinstance(value, bytes):
        raise ValueError(f"field {number} is a number where bytes were expected")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, bytes):
        raise ValueError("a number where text was expected")
    return value.decode("utf-8")
