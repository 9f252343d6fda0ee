"""Label and field selectors: the query-string forms (``app=x,tier in (a,b)``) that
clients send on list/watch, and the structured ``LabelSelector`` objects that
Deployments, Services and webhooks carry.

Why a real parser: kubectl and controllers combine requirements (``-l 'a,b!=c'``), and a
selector that silently matched everything would hide bugs in the wizard's waits.
Field selectors accept any dotted path (``status.phase``, ``involvedObject.name``,
``spec.nodeName``); the real server only allows a per-kind list, but a superset is
harmless for clients that send valid ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kfwizard.emulator.kube.errors import bad_request

Labels = dict[str, str]
Matcher = Callable[[Labels], bool]


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    tail = "".join(current).strip()
    if tail or parts:
        parts.append(tail)
    return [p for p in parts if p]


def _set_values(text: str) -> set[str]:
    text = text.strip()
    if not (text.startswith("(") and text.endswith(")")):
        raise bad_request(f"unable to parse requirement: found '{text}', expected: '('")
    return {v.strip() for v in text[1:-1].split(",") if v.strip()}


_SET_RE = re.compile(r"^\s*(\S+)\s+(in|notin)\s*(\(.*\))\s*$")


def _requirement(term: str) -> Matcher:
    set_form = _SET_RE.match(term)
    if set_form:
        key, op = set_form.group(1), set_form.group(2)
        values = _set_values(set_form.group(3))
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if term.startswith("!"):
        key = term[1:].strip()
        return lambda labels: key not in labels
    for op in ("==", "!=", "=", ">", "<"):
        if op in term:
            key, value = (s.strip() for s in term.split(op, 1))
            if op in ("==", "="):
                return lambda labels: labels.get(key) == value
            if op == "!=":
                return lambda labels: labels.get(key) != value
            try:
                bound = int(value)
            except ValueError as exc:
                raise bad_request(f"invalid label selector: {term}") from exc
            if op == ">":
                return lambda labels: _int(labels.get(key), bound) > bound
            return lambda labels: _int(labels.get(key), bound) < bound
    key = term.strip()
    return lambda labels: key in labels


def _int(value: str | None, bound: int) -> int:
    """The label as an int; a missing or non-numeric label compares as ``bound`` (so
    neither ``>`` nor ``<`` matches it)."""
    try:
        return int(value) if value is not None else bound
    except ValueError:
        return bound


def parse_label_selector(text: str | None) -> Matcher:
    """A matcher for the query-string form; empty means "everything"."""
    if not text:
        return lambda labels: True
    reqs = [_requirement(term) for term in _split_top_level(text)]
    return lambda labels: all(req(labels) for req in reqs)


def selector_matcher(selector: dict[str, Any] | None, empty_matches: bool = True) -> Matcher:
    """A matcher for a structured ``LabelSelector`` (matchLabels + matchExpressions).

    An empty selector matches everything for webhooks and namespace selectors, but
    nothing for workloads and Services (``empty_matches=False``).
    """
    if not selector or (not selector.get("matchLabels") and not selector.get("matchExpressions")):
        return lambda labels: empty_matches
    wanted = dict(selector.get("matchLabels") or {})
    exprs = list(selector.get("matchExpressions") or [])

    def match(labels: Labels) -> bool:
        if any(labels.get(k) != v for k, v in wanted.items()):
            return False
        for expr in exprs:
            key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
            if op == "In" and labels.get(key) not in values:
                return False
            if op == "NotIn" and key in labels and labels[key] in values:
                return False
            if op == "Exists" and key not in labels:
                return False
            if op == "DoesNotExist" and key in labels:
                return False
        return True

    return match


def map_matcher(selector: dict[str, str] | None) -> Matcher:
    """A Service's plain ``selector`` map; an empty map selects nothing."""
    if not selector:
        return lambda labels: False
    wanted = dict(selector)
    return lambda labels: all(labels.get(k) == v for k, v in wanted.items())


def selector_string(selector: dict[str, Any] | None) -> str:
    """The query-string form of a structured selector (for Scale.status.selector)."""
    if not selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, key, values = expr.get("operator"), expr.get("key"), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(sorted(values))})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(sorted(values))})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


# -- field selectors --------------------------------------------------------------------


def _split_escaped(text: str, sep: str) -> list[str]:
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def field_value(obj: dict[str, Any], path: str) -> str:
    """The string form of a dotted path; missing fields read as ""."""
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


ObjectMatcher = Callable[[dict[str, Any]], bool]


def parse_field_selector(text: str | None) -> ObjectMatcher:
    if not text:
        return lambda obj: True
    reqs: list[tuple[str, bool, str]] = []
    for term in _split_escaped(text, ","):
        if not term.strip():
            continue
        if "!=" in term:
            path, value = term.split("!=", 1)
            reqs.append((path.strip(), False, value))
            continue
        path, sep, value = term.partition("==") if "==" in term else term.partition("=")
        if not sep:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        reqs.append((path.strip(), True, value))
    return lambda obj: all((field_value(obj, p) == v) == eq for p, eq, v in reqs)
