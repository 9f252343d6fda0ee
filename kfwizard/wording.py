"""Small helpers for the sentences kfwizard writes (log lines, plans, messages)."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """``1 node``, ``3 nodes``: a log line that says "1 objects" reads as a slip."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
