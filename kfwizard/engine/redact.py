"""Keep secrets out of logs, sessions and bundles.

Known secret values are registered at run time (a DB password the user typed, a bearer
token); patterns catch the usual shapes (``Authorization: Bearer …``, ``password=…``).
"""

from __future__ import annotations

import re
import threading

MASK = "********"

_PATTERNS = (
    re.compile(r"(?i)(authorization\s*[:=]\s*bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/-]{16,}=*"),
    re.compile(
        r"(?i)((?:password|passwd|secret|token|access_token|client_secret)\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)"
    ),
    re.compile(r"(ya29\.)[A-Za-z0-9._-]+"),
)

_lock = threading.Lock()
_known: set[str] = set()


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever it appears from now on in this process."""
    if value and len(value) >= 4:
        with _lock:
            _known.add(value)


def known_secrets() -> frozenset[str]:
    with _lock:
        return frozenset(_known)


def redact(text: str) -> str:
    for secret in known_secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text
