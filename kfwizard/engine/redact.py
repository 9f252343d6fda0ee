"""Keep secrets out of logs, sessions and bundles.

Known secret values are registered at run time (a DB password the user typed, a bearer
token); patterns catch the usual shapes (``Authorization: Bearer …``, ``password=…``).

Log lines are redacted on the hot path (a step may log 100,000 lines), so
:func:`redact_lines` first asks whether a whole batch could hold a secret at all: every
pattern needs one of a few keywords, so a batch without any of them (and without a known
secret) is returned as is and the regular expressions never run.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

MASK = "********"

_PATTERNS = (
    re.compile(r"(?i)(authorization\s*[:=]\s*bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/-]{16,}=*"),
    re.compile(
        r"(?i)((?:password|passwd|secret|token|access_token|client_secret)\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)"
    ),
    re.compile(r"(ya29\.)[A-Za-z0-9._-]+"),
)

_KEYWORDS = ("bearer", "passw", "secret", "token", "ya29.", "\u017f")
"""Lowercase text every pattern needs at least one of. A case-insensitive pattern also
matches the long s (U+017F) for ``s``, which ``str.lower()`` leaves as it is, so its
presence alone sends the text to the patterns."""

_lock = threading.Lock()
_known: tuple[str, ...] = ()
"""Replaced (never mutated) under the lock, so readers need no lock."""


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever it appears from now on in this process."""
    global _known
    if value and len(value) >= 4:
        with _lock:
            if value not in _known:
                _known = (*_known, value)


def known_secrets() -> frozenset[str]:
    return frozenset(_known)


def might_hold_secret(text: str) -> bool:
    """False only when no pattern and no known secret can match ``text``: the cheap
    test that lets clean text skip the regular expressions."""
    lowered = text.lower()
    if any(keyword in lowered for keyword in _KEYWORDS):
        return True
    return any(secret in text for secret in _known)


def redact(text: str) -> str:
    """``text`` with every known secret and secret-shaped value replaced by ``MASK``."""
    if not might_hold_secret(text):
        return text
    for secret in _known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def redact_lines(lines: Iterable[str]) -> list[str]:
    """Each line redacted; one pre-check for the whole batch, so clean output (nearly
    all of it) costs one ``lower()`` and a few substring searches per batch."""
    batch = list(lines)
    if not batch or not might_hold_secret("\n".join(batch)):
        return batch
    return [redact(line) for line in batch]
