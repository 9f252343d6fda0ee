"""Checks with their state, message and evidence, wrapped under themselves.

Preflight and verify both report a list of checks (``name``, ``state``, ``message``,
``evidence``). Each row is a mark beside a text block, so long messages wrap with a
hanging indent and the marks stay in one column at any width.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Label, Static

MARKS: dict[str, tuple[str, str]] = {
    "pass": ("✓", "$text-success"),
    "ok": ("✓", "$text-success"),
    "done": ("✓", "$text-success"),
    "warn": ("!", "$text-warning"),
    "warning": ("!", "$text-warning"),
    "fail": ("✗", "$text-error"),
    "failed": ("✗", "$text-error"),
    "skipped": ("–", "$text-muted"),
}


def evidence_text(evidence: Any, limit: int = 3, width: int = 24) -> str:
    """A check's evidence as short ``key=value`` pairs (for example healthz fields)."""
    if not isinstance(evidence, Mapping) or not evidence:
        return ""
    pairs = []
    for key, value in evidence.items():
        if not isinstance(value, (str, int, float, bool)) or str(value) == "":
            continue
        text = str(value)
        pairs.append(f"{key}={text if len(text) <= width else text[: width - 1] + '…'}")
    return ", ".join(pairs[:limit])


class CheckList(Vertical):
    """Rows of ``mark | name  message`` (+ muted evidence line)."""

    DEFAULT_CSS = """
    CheckList {
        height: auto;
        & > Horizontal {
            height: auto;
        }
        & .check--mark {
            width: 2;
        }
        & .check--body {
            width: 1fr;
            height: auto;
        }
    }
    """

    def __init__(self, *, empty: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self.empty = empty
        """Shown while there are no checks."""
        self.rows: list[dict[str, Any]] = []

    def on_mount(self) -> None:
        if not self.rows and self.empty:
            self.mount(Static(Content.from_markup("[$text-muted]$t[/]", t=self.empty)))

    def set_rows(self, rows: Iterable[Any]) -> None:
        """Replace the rows (each a mapping with name, state, message, evidence)."""
        self.rows = [dict(r) for r in rows if isinstance(r, Mapping)]
        self.remove_children()
        if not self.rows:
            if self.empty:
                self.mount(Static(Content.from_markup("[$text-muted]$t[/]", t=self.empty)))
            return
        widgets = []
        for row in self.rows:
            state = str(row.get("state", "")).lower()
            mark, colour = MARKS.get(state, ("·", "$text-muted"))
            body = Content.from_markup(
                "[b]$name[/b]  $message",
                name=str(row.get("name", "")),
                message=str(row.get("message") or ""),
            )
            evidence = evidence_text(row.get("evidence"))
            if evidence:
                body = Content.assemble(
                    body, "\n", Content.from_markup("[$text-muted]$e[/]", e=evidence)
                )
            widgets.append(
                Horizontal(
                    Label(Content.from_markup(f"[{colour}]$m[/]", m=mark), classes="check--mark"),
                    Static(body, classes="check--body"),
                )
            )
        self.mount_all(widgets)
