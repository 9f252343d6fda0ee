"""The plan box: kind lists cut between items, for the box's width."""

from __future__ import annotations

import re

from textual.app import App, ComposeResult
from textual.content import Content

from kfwizard.widgets.plan_box import PlanBox, item_rows, kind_items, plan_content
from tests.ui.helpers import wait_for

KINDS = {
    "Deployment": 14,
    "Service": 8,
    "ServiceAccount": 4,
    "ConfigMap": 2,
    "PersistentVolumeClaim": 2,
    "Role": 2,
    "RoleBinding": 2,
    "Secret": 1,
}
DETAIL = {
    "counts": KINDS,
    "namespaces": ["kubeflow"],
    "source": "rendered YAML",
    "tiers": [
        {"name": "namespaces-and-crds", "kinds": {"CustomResourceDefinition": 4, "Namespace": 1}},
        {"name": "namespaced", "kinds": KINDS},
    ],
}
ITEM = re.compile(r"^\d+ [A-Z]\w+,?$")


def test_kinds_are_listed_most_numerous_first():
    assert kind_items(KINDS)[:3] == ["14 Deployments", "8 Services", "4 ServiceAccounts"]
    assert kind_items(KINDS)[-1] == "1 Secret"


def test_rows_break_between_items_only():
    items = kind_items(KINDS)
    rows = item_rows(items, 40, first=15, indent=3)
    assert len(rows) > 1
    assert len(rows[0]) + 15 <= 40 and all(len(row) <= 40 for row in rows[1:])
    assert all(row.startswith("   ") and not row.startswith("    ") for row in rows[1:])
    pieces = " ".join(rows).split(", ")
    assert [p.strip() for p in pieces] == items, "every count stays beside its kind"


def test_without_a_width_the_list_is_one_row():
    assert item_rows(["1 A", "2 B"], 0, first=10, indent=3) == ["1 A, 2 B"]


def test_an_item_wider_than_the_row_has_a_row_to_itself():
    assert item_rows(["1 A", "2 " + "B" * 30, "3 C"], 20, first=5, indent=2) == [
        "1 A,",
        "  2 " + "B" * 30 + ",",
        "  3 C",
    ]


class _BoxApp(App[None]):
    CSS = "PlanBox { border: round white; padding: 0 1; height: auto; }"

    def compose(self) -> ComposeResult:
        yield PlanBox(id="plan")

    def on_mount(self) -> None:
        # As the Mode screen does: shown before the first layout gives the box a width.
        self.query_one(PlanBox).show_plan(DETAIL, {})


def _rows(box: PlanBox) -> list[str]:
    return str(box.render()).split("\n")


def _height(box: PlanBox) -> int:
    """The rows the content takes at the box's width (the headline wraps by itself)."""
    content = box.render()
    assert isinstance(content, Content)
    return len(content.wrap(box.size.width))


async def test_the_box_cuts_its_lists_for_its_width_and_again_on_resize():
    app = _BoxApp()
    async with app.run_test(size=(60, 24)) as pilot:
        box = app.query_one(PlanBox)
        await pilot.pause()
        width = box.size.width
        narrow = _rows(box)
        assert box.size.height == _height(box)
        tier = narrow[narrow.index(next(r for r in narrow if r.startswith("2. "))) :]
        assert len(tier) >= 3 and all(len(row) <= width for row in tier)
        words = " ".join(row.removeprefix("2. namespaced:") for row in tier).split(", ")
        assert all(ITEM.match(word.strip()) for word in words)
        await pilot.resize_terminal(140, 24)
        await wait_for(pilot, lambda: len(_rows(box)) < len(narrow), description="fewer rows")
        assert str(box.render()) == plan_content(DETAIL, {}, box.size.width).plain
        await pilot.pause()
        assert box.size.height == _height(box), "laid out for the rows it shows"


async def test_on_the_mode_screen_the_box_is_as_tall_as_its_rows(store):
    """The Mode screen shows a saved plan before its first layout; the rows cut at
    the width that layout gives need a height of their own."""
    from tests.ui.scenes import mode_planned

    app, run_before = mode_planned()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_before(pilot)
        box = app.screen.query_one(PlanBox)
        await pilot.pause()
        assert len(_rows(box)) >= 4
        assert box.size.height == _height(box)


def test_a_resumed_plan_lists_kinds_from_the_saved_outputs_and_counts_in_words():
    saved = {
        "manifests": {
            "counts": {"Deployment": 1, "PriorityClass": 1},
            "tiers": [
                {"name": "cluster-scoped", "objects": 1, "kinds": {"PriorityClass": 1}},
                {"name": "namespaced", "objects": 1},
            ],
        }
    }
    text = plan_content(None, saved).plain.split("\n")
    assert text[0].startswith("2 objects")
    assert text[1:3] == ["1. cluster scoped: 1 PriorityClass", "2. namespaced: 1 object"]


async def test_a_plan_for_other_choices_says_it_is_out_of_date(store):
    """After choosing env dev, before Prepare manifests, the box still showed the
    platform-agnostic plan as if it were dev's."""
    from textual.widgets import Select

    from tests.ui.scenes import mode_planned

    app, run_before = mode_planned()
    async with app.run_test(size=(120, 40)) as pilot:
        await run_before(pilot)
        box = app.screen.query_one(PlanBox)
        assert _rows(box)[0].startswith("102 objects") and box.border_title == "Plan"
        app.screen.query_one("#env", Select).value = "dev"
        await wait_for(pilot, lambda: _rows(box)[0].startswith("!"), description="marked")
        assert _rows(box)[0] == (
            "! Made for env platform-agnostic: Prepare manifests (ctrl+n) makes the plan for "
            "env dev."
        )
        assert box.border_title == "Plan · out of date"
        app.screen.query_one("#env", Select).value = "platform-agnostic"
        await wait_for(pilot, lambda: box.border_title == "Plan", description="current again")
        assert _rows(box)[0].startswith("102 objects")


def test_a_stale_plan_is_muted_under_the_reason():
    content = plan_content(DETAIL, {}, 0, stale="Made for env dev: …")
    assert content.plain.split("\n")[0] == "! Made for env dev: …"
    assert content.spans[-1].style == "$text-muted" and content.spans[-1].start > 0
