"""The Deployment mode step's plan: objects per tier and kind, where they go, how long.

A tier's kinds are a list like "14 Deployments, 8 Services, 2 PersistentVolumeClaims".
Textual wraps text at any space, so a count could end one row and its kind start the
next ("… 2" / "PersistentVolumeClaims"), where the count reads as belonging to the kind
before it (a no-break space does not help: Textual treats it as a space). The box cuts
these lists into rows itself, between items only, at the width it has, and again when
that width changes.
"""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Static

from kfwizard.wording import kind_count, plural


def kind_items(kinds: dict[str, Any]) -> list[str]:
    """``["14 Deployments", "8 Services", …]``: most numerous first, then by name."""
    ordered = sorted(kinds.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    return [kind_count(int(n), kind) for kind, n in ordered]


def item_rows(items: list[str], width: int, first: int, indent: int) -> list[str]:
    """``items`` joined with ", " into rows: the first has ``first`` columns already
    taken, later rows start with ``indent`` spaces. A row breaks only between items
    (an item wider than a row has one to itself). ``width`` 0 gives one row."""
    rows: list[str] = []
    row, used = "", first
    for number, item in enumerate(items):
        piece = item + ("," if number < len(items) - 1 else "")
        if not row:
            row, used = piece, used + len(piece)
        elif width and used + 1 + len(piece) > width:
            rows.append(row)
            row, used = " " * indent + piece, indent + len(piece)
        else:
            row, used = f"{row} {piece}", used + 1 + len(piece)
    rows.append(row)
    return rows


def plan_content(detail: Any, outputs: dict[str, Any], width: int = 0, stale: str = "") -> Content:
    """The plan preview: objects per tier and kind, where they go, time and size.

    From the ``plan`` detail of the manifests step when the screen saw the run, else
    from the step's saved outputs (a resumed session). ``width`` is the room for a row
    (0: leave wrapping to Textual). ``stale`` says why the plan is not the one for the
    choices on screen any more; it comes first, and the plan below it is muted.
    """
    content = _plan(detail, outputs, width)
    if not stale:
        return content
    warning = Content.from_markup("[$text-warning]! $why[/]", why=stale)
    return Content("\n").join([warning, content.stylize("$text-muted")])


def _plan(detail: Any, outputs: dict[str, Any], width: int) -> Content:
    saved = outputs.get("manifests") or {}
    data = detail if isinstance(detail, dict) else {}
    counts = data.get("counts_by_kind") or data.get("counts") or saved.get("counts") or {}
    if not counts:
        return Content.from_markup(
            "[$text-muted]Prepare the manifests to see what will be created.[/]"
        )
    total = sum(int(n) for n in counts.values())
    namespaces = data.get("namespaces") or saved.get("namespaces") or []
    where = f" into namespace {', '.join(namespaces)} and cluster-wide" if namespaces else ""
    lines = [
        Content.from_markup(
            "[b]$total[/b]$where, from $source",
            total=plural(total, "object"),
            where=where,
            source=str(data.get("source") or saved.get("source") or "the release"),
        )
    ]
    tiers = data.get("tiers") or saved.get("tiers") or []
    for number, tier in enumerate(t for t in tiers if isinstance(t, dict)):
        kinds = tier.get("kinds")
        head = f"{number + 1}. {str(tier.get('name') or 'tier').replace('-', ' ')}:"
        if isinstance(kinds, dict) and kinds:
            rows = item_rows(kind_items(kinds), width, len(head) + 1, len(f"{number + 1}. "))
        else:
            rows = [plural(int(tier.get("objects") or 0), "object")]
        lines.append(
            Content.from_markup("[$text-accent]$head[/] $what", head=head, what="\n".join(rows))
        )
    if not tiers:
        lines.append(Content("\n".join(item_rows(kind_items(counts), width, 0, 0))))
    facts = []
    requests = data.get("requests") or saved.get("requests") or {}
    if requests.get("cpu_m") is not None and requests.get("memory_mib") is not None:
        cpu, memory = requests["cpu_m"] / 1000, requests["memory_mib"] / 1024
        facts.append(f"pods request {cpu:.2f} vCPU, {memory:.1f} GiB")
    eta = data.get("time_estimate_seconds") or saved.get("time_estimate_seconds")
    if isinstance(eta, (int, float)) and eta > 0:
        facts.append(f"usually about {max(1, round(eta / 60))} min to install")
    if facts:
        text = "; ".join(facts)  # not .capitalize(): it would lowercase "GiB" and "vCPU"
        lines.append(Content.from_markup("[$text-muted]$f[/]", f=text[:1].upper() + text[1:]))
    return Content("\n").join(lines)


class PlanBox(Static):
    """The plan, its kind lists cut into rows for the box's width."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._plan: tuple[Any, dict[str, Any], str] | None = None
        self._shown_at = -1

    def show_plan(self, detail: Any, outputs: dict[str, Any], stale: str = "") -> None:
        """Show the plan from the manifests step's ``plan`` detail or saved outputs;
        ``stale``: why it is out of date (see ``plan_content``)."""
        self._plan = (detail, outputs, stale)
        self._show()

    def on_resize(self) -> None:
        # After this layout: new content now would keep the height laid out for the old.
        if self._plan is not None and self.size.width != self._shown_at:
            self.call_after_refresh(self._show)

    def _show(self) -> None:
        assert self._plan is not None
        self._shown_at = self.size.width if self.is_mounted else 0
        detail, outputs, stale = self._plan
        self.update(plan_content(detail, outputs, width=self._shown_at, stale=stale))
