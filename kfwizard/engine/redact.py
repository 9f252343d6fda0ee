"""Keep secrets out of logs, sessions and bundles.

Known secret values are registered at run time (a DB password the user typed, a bearer
token); patterns catch the usual shapes:

- a value after a secret-looking name: ``password=…``, ``DB_PASS: …``, ``"api_key": "…"``,
  ``--token …`` on a command line. A JSON text stays JSON: a quoted value keeps its
  quotes, and an unquoted one ends at a double quote (bundles redact JSON files whole);
- ``Authorization: Bearer …`` / ``Basic …`` and other bearer tokens;
- the password in a URL (``postgresql://kfp:…@db/kfp``; the user name stays);
- the body of a PEM private key;
- tokens recognisable by shape alone: Google (``ya29.``, ``AIza``), OpenAI (``sk-``),
  Hugging Face (``hf_``), GitHub (``ghp_``, ``github_pat_``), GitLab, Slack, AWS access
  key ids and JSON Web Tokens.

Log lines are redacted on the hot path (a step may log 100,000 lines), so
:func:`redact_lines` first asks whether a whole batch could hold a secret at all: every
pattern needs one of a few keywords, so a batch without any of them (and without a known
secret) is returned as is and the regular expressions never run.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable

MASK = "********"

SECRET_WORDS = (
    r"passw(?:or)?d|passphrase|secret|token|credentials?|api[_-]?key"
    r"|private[_-]?key|access[_-]?key|client[_-]?key"
)
"""Names of fields and variables that hold a secret wherever they appear in a longer
name (``db_password``, ``clientSecret``, ``OPENAI_API_KEY``): for support bundles, which
know a name from its value (:mod:`kfwizard.bundle`)."""

_TEXT_WORDS = (
    r"passw(?:or)?d|passphrase|secret|token|api[_-]?key"
    r"|private[_-]?key|access[_-]?key|secret[_-]?key|client[_-]?key"
)
"""The same in free text, where a word can be prose: not ``credentials`` (a log line
says "credentials: none") nor a bare ``key`` (``selection_key``, a toleration's)."""
_TEXT_PARTS = r"pass|pwd"
"""Names that hold a secret only as the last part of a longer one (``DB_PASS``,
``MYSQL_PWD``): alone, or inside a word (``bypass``, the shell's ``PWD``), they do not."""

_NAME = rf"(?:{_TEXT_WORDS}|(?<=[^\W_][_.-])(?:{_TEXT_PARTS}))"
"""A secret-looking name, ending where the match ends."""


def _mask_value(match: re.Match[str]) -> str:
    """The name and what joins it to its value, then ``MASK``. A quoted value keeps its
    double quotes, so a JSON text stays JSON; an empty one (``password: ""``) stays."""
    name = match.group(1)
    for opening in (2, 5):
        if match.group(opening) is not None:
            if not match.group(opening + 1):
                return match.group(0)
            return name + match.group(opening) + MASK + match.group(opening + 2)
    return name + match.group(8) + MASK


def _mask_rest(match: re.Match[str]) -> str:
    return match.group(1) + MASK


def _whole(match: re.Match[str]) -> str:
    return MASK


_NAMES = ("pass", "pwd", "secret", "token", "key")
"""Lowercase text a secret-looking name holds."""

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str], tuple[str, ...]]

_RULES: tuple[_Rule, ...] = (
    # \"password\": \"x\" (JSON in a JSON string); "password": "x" (JSON, YAML),
    # password="x"; password=x, DB_PASS: x, passwd: 'a b c'. The look-ahead lets the
    # search skip every position that cannot start a name (a third of the time).
    (
        re.compile(
            rf"(?i)(?=[pstca\u017f])({_NAME})(?:"
            r'(\\"[ \t]*:[ \t]*\\")((?:(?!\\").)*)(\\")'
            r'|("?[ \t]*[=:][ \t]*")((?:[^"\\\n]|\\.)*)(")'
            r"|('?[ \t]*[=:][ \t]*)('[^']*'|(?:[^\s\"\\]|\\.)+))"
        ),
        _mask_value,
        _NAMES,
    ),
    # --password x, --api-key x (a flag and its value, apart)
    (
        re.compile(
            rf"(?i)((?<![\w-])--?[\w.-]*?(?:{_TEXT_WORDS}|(?<![^\W_])(?:{_TEXT_PARTS}))"
            r"[ \t]+)(?![-\s'\"])((?:[^\s\"\\]|\\.)+)"
        ),
        _mask_rest,
        _NAMES,
    ),
    (
        re.compile(
            r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|digest|token)\s+)"
            r"[A-Za-z0-9._~+/=-]+"
        ),
        _mask_rest,
        ("auth",),
    ),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/-]{16,}=*"), _mask_rest, ("bearer",)),
    # scheme://user:password@host
    (
        re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s:/@\"'<>]*:)[^\s/@\"'<>]+(?=@)"),
        _mask_rest,
        ("://",),
    ),
    (
        re.compile(
            r'(-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----)[^"]*?(?=-----END \2PRIVATE KEY-----|"|$)',
            re.DOTALL,
        ),
        _mask_rest,
        ("private key",),
    ),
    (re.compile(r"(ya29\.)[A-Za-z0-9._-]+"), _mask_rest, ("ya29.",)),
    (re.compile(r"\b(sk[-_])[A-Za-z0-9_-]{16,}"), _mask_rest, ("sk-", "sk_")),
    (re.compile(r"\b(hf_)[A-Za-z0-9]{16,}"), _mask_rest, ("hf_",)),
    (
        re.compile(r"\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{16,}"),
        _mask_rest,
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    (re.compile(r"\b(glpat-)[A-Za-z0-9_-]{16,}"), _mask_rest, ("glpat-",)),
    (re.compile(r"\b(xox[abposr]-)[A-Za-z0-9-]{10,}"), _mask_rest, ("xox",)),
    (re.compile(r"\b(AIza)[0-9A-Za-z_-]{30,}"), _mask_rest, ("aiza",)),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), _whole, ("akia", "asia")),
    (
        re.compile(r"\b(eyJ)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
        _mask_rest,
        ("eyj",),
    ),
)
"""Each pattern, what it puts in place of a match, and the lowercase text it cannot
match without: a line runs only the patterns whose text it holds."""

_PATTERNS = tuple(rule[0] for rule in _RULES)
_REPLACEMENTS = tuple(rule[1] for rule in _RULES)
_TRIGGERS = tuple(rule[2] for rule in _RULES)

_CASE_FOLDS = ("\u017f", "\u0131", "\u0307")
"""A case-insensitive pattern also matches the long s (U+017F) for ``s`` and the dotless
i (U+0131) and dotted I (U+0130, lowercased to i and U+0307) for ``i``, which
``str.lower()`` leaves apart: text holding one runs every pattern. (The Kelvin sign
lowercases to ``k``.)"""

_KEYWORDS = tuple(dict.fromkeys(word for words in _TRIGGERS for word in words))
"""Lowercase text every pattern needs at least one of (with ``_CASE_FOLDS``)."""

_LOG_KEYWORDS = ("pass", "pwd", "secret", "token", "key", "auth", "bearer", "://", "ya29.")
"""The batch check of step output (:func:`redact_lines`): a secret's name, a URL, a
bearer or Google token. Each keyword is one more scan of every batch, and a step may log
100,000 lines: all 28 took the log benchmark's flood from 0.58 s to 0.83 s and its
longest event-loop stall from 28 ms to 80 ms. Tokens known by shape alone (``sk-…``,
``ghp_…``, a PEM key) are masked in a batch that holds one of these, and always in
support bundles, which redact every file whole with :func:`redact`."""

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


def _might_hold(text: str, lowered: str, keywords: tuple[str, ...] = _KEYWORDS) -> bool:
    """False only when no pattern (of those ``keywords`` lead to) and no known secret
    can match ``text``: the cheap test that lets clean text skip the patterns."""
    if any(keyword in lowered for keyword in keywords) or _folds_case(text, lowered):
        return True
    return any(secret in text for secret in _known)


def _folds_case(text: str, lowered: str) -> bool:
    """``text`` holds a character a case-insensitive pattern matches as an ASCII letter
    (never so in ASCII text, the usual case: one quick test instead of three scans)."""
    return not text.isascii() and any(fold in lowered for fold in _CASE_FOLDS)


def redact(text: str) -> str:
    """``text`` with every known secret and secret-shaped value replaced by ``MASK``."""
    lowered = text.lower()
    if not _might_hold(text, lowered):
        return text
    for secret in _known:
        if secret in text:
            text = text.replace(secret, MASK)
    every = _folds_case(text, lowered)
    for pattern, replace, triggers in zip(_PATTERNS, _REPLACEMENTS, _TRIGGERS, strict=True):
        if every or any(word in lowered for word in triggers):
            text = pattern.sub(replace, text)
    return text


def redact_lines(lines: Iterable[str]) -> list[str]:
    """Each line redacted; one pre-check for the whole batch, so clean output (nearly
    all of it) costs one ``lower()`` and a few substring searches per batch
    (``_LOG_KEYWORDS``)."""
    batch = list(lines)
    if not batch:
        return batch
    text = "\n".join(batch)
    if not _might_hold(text, text.lower(), _LOG_KEYWORDS):
        return batch
    return [redact(line) for line in batch]
