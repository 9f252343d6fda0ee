"""Step list and commands box: new text lays the screen out only when its height changes,
and a widget still grows and shrinks with its text."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widget import Widget

from kfwizard.widgets.commands_box import CommandsBox
from kfwizard.widgets.step_list import StepList


class Pair(App[None]):
    def compose(self) -> ComposeResult:
        yield StepList(ticking=False, id="steps")
        yield CommandsBox(["kubectl get nodes"], id="commands")


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of widgets that asked for a layout."""
    asked: list[str] = []
    refresh = Widget.refresh

    def recording(self: Widget, *regions: Any, **kwargs: Any) -> Widget:
        if kwargs.get("layout"):
            asked.append(self.id or type(self).__name__)
        return refresh(self, *regions, **kwargs)

    monkeypatch.setattr(Widget, "refresh", recording)
    return asked


async def test_same_height_repaints_without_layout(layouts: list[str]) -> None:
    app = Pair()
    async with app.run_test(size=(60, 20)) as pilot:
        steps = app.query_one(StepList)
        steps.set_steps([("apply", "Apply manifests"), ("rollout", "Wait for Deployments")])
        await pilot.pause()
        assert steps.size.height == 2
        layouts.clear()
        steps.started("apply", "Apply manifests")
        steps.progress("apply", "3/88 objects")
        steps.finished("apply", "done", 2.0)
        box = app.query_one(CommandsBox)
        box.set_commands(["kubectl apply -f a.yaml"])
        box.set_commands(["kubectl apply -f a.yaml"])  # the same again: not even a repaint
        await pilot.pause()
        assert layouts == []
        assert "3/88" not in str(steps.render())  # finished replaced the note
        assert "a.yaml" in str(box.render())


async def test_text_that_wraps_or_adds_lines_still_resizes(layouts: list[str]) -> None:
    app = Pair()
    async with app.run_test(size=(40, 20)) as pilot:
        steps = app.query_one(StepList)
        steps.set_steps([("apply", "Apply manifests")])
        await pilot.pause()
        assert steps.size.height == 1
        steps.progress("apply", "waiting for ml-pipeline, ml-pipeline-ui and minio to be ready")
        await pilot.pause()
        assert steps.size.height > 1  # the note wraps
        steps.progress("apply", "done")
        await pilot.pause()
        assert steps.size.height == 1
        box = app.query_one(CommandsBox)
        before = box.size.height
        box.set_commands(["kubectl apply -f a.yaml", "kubectl get deployments -n kubeflow"])
        await pilot.pause()
        assert box.size.height > before
        assert "steps" in layouts and "commands" in layouts
