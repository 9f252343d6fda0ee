"""Small helpers for the sentences kfwizard writes (log lines, plans, messages)."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """``1 node``, ``3 nodes``: a log line that says "1 objects" reads as a slip."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def kind_count(count: int, kind: str) -> str:
    """``1 Secret``, ``14 Deployments``, ``2 NetworkPolicies``: a count of a Kubernetes
    kind, in English (the kind's name stays as Kubernetes spells it)."""
    if count == 1 or kind.endswith("Endpoints"):
        return f"{count} {kind}"
    if kind.endswith(("s", "x", "z", "ch", "sh")):
        return f"{count} {kind}es"
    if kind.endswith("y") and kind[-2:-1].lower() not in "aeiou":
        return f"{count} {kind[:-1]}ies"
    return f"{count} {kind}s"


def duration(seconds: float) -> str:
    """``under a second``, ``3.6 s``.

    Tenths of a second under one second are noise to the reader (and change from
    run to run), so they are not shown.
    """
    return "under a second" if seconds < 1 else f"{seconds:.1f} s"


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a space when one is near the end,
    with "…" to show it was cut: a message cut mid-word ("Instance 'g") reads as garbage.
    """
    text = " ".join(text.split())  # a server's message may span lines
    if len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"
