"""Checks of the kfp-gcp inputs (bucket, Cloud SQL connection name, database user), so a
typo is caught in the wizard, not as a crash-looping cloudsqlproxy twenty minutes later.
The password is never an input: it is asked at apply time and kept only in the Secret."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# -- kfp-gcp inputs ------------------------------------------------------------------------

_PROJECT = r"[a-z][a-z0-9-]{4,28}[a-z0-9]"
_REGION = r"[a-z]+(?:-[a-z]+)+\d+"
_INSTANCE = r"[a-z](?:[a-z0-9-]*[a-z0-9])?"
_CONNECTION = re.compile(
    rf"^(?:(?P<domain>[a-z0-9.-]+\.[a-z]+):)?(?P<project>{_PROJECT}):(?P<region>{_REGION}):"
    rf"(?P<instance>{_INSTANCE})$"
)
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$")


def cloudsql_connection_problem(value: object) -> str | None:
    """Why ``value`` is not a Cloud SQL instance connection name, or None when it is.

    The form is ``project:region:instance`` (``domain:project:region:instance`` for
    domain-scoped projects), e.g. ``my-project:us-central1:kfp-db``.
    """
    if not isinstance(value, str) or not value.strip():
        return "is required: the instance connection name, project:region:instance"
    text = value.strip()
    match = _CONNECTION.match(text)
    if match is None:
        return (
            "must be the instance connection name project:region:instance, "
            "e.g. my-project:us-central1:kfp-db"
        )
    if len(match.group("project")) + 1 + len(match.group("instance")) > 98:
        return "project id and instance name together must be at most 98 characters"
    return None


def bucket_problem(value: object) -> str | None:
    """Why ``value`` is not a Cloud Storage bucket name, or None when it is."""
    if not isinstance(value, str) or not value.strip():
        return "is required: the name of an existing Cloud Storage bucket"
    text = value.strip()
    if text.startswith("gs://"):
        return "give the bare bucket name, without gs://"
    if not _BUCKET.match(text):
        return (
            "must use lowercase letters, digits, -, _ and . "
            "and start and end with a letter or digit"
        )
    parts = text.split(".")
    if (
        len(text) > (222 if len(parts) > 1 else 63)
        or len(text) < 3
        or any(len(p) > 63 for p in parts)
    ):
        return "must be 3-63 characters (up to 222 with dots, 63 per dot-separated part)"
    if text.startswith("goog") or "google" in text:
        return "cannot start with goog or contain google"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", text):
        return "cannot be an IP address"
    return None


def db_user_problem(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return "is required (the Cloud SQL user, e.g. root)"
    if len(value) > 32 or re.search(r"\s", value):
        return "must be at most 32 characters with no spaces"
    return None


def gcp_input_problems(gcp: Mapping[str, Any] | None) -> list[tuple[str, str, object]]:
    """``(field, rule, value)`` for each bad kfp-gcp input; the password is never an input."""
    gcp = gcp or {}
    problems: list[tuple[str, str, object]] = []
    for key in ("password", "db_password"):
        if key in gcp:
            problems.append(
                (
                    f"deployment.gcp.{key}",
                    "must not be saved; the wizard asks for it at run time",
                    None,
                )
            )
    checks = (
        ("bucket", bucket_problem),
        ("cloudsql_instance", cloudsql_connection_problem),
        ("db_user", db_user_problem),
    )
    for key, check in checks:
        value = gcp.get(key, "root" if key == "db_user" else None)
        rule = check(value)
        if rule:
            problems.append((f"deployment.gcp.{key}", rule, value))
    return problems
