"""The rollout wait's live table: throttled, but the last change always reaches it."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from kfwizard.engine.errors import Cancelled
from kfwizard.kube import wait
from kfwizard.kube.apply import apply_objects
from kfwizard.kube.control import Quiet
from kfwizard.kube.wait import Throttle, time_left, wait_workloads


def test_throttle_sends_the_held_back_change_once_the_interval_has_passed() -> None:
    sent: list[float] = []
    publish = Throttle(sent.append, interval=0.05)
    publish()
    publish()  # too soon: held back
    publish.flush()  # still too soon
    assert len(sent) == 1 and publish.pending
    time.sleep(0.06)
    publish.flush()
    assert len(sent) == 2 and not publish.pending
    publish.flush()  # nothing held back: nothing sent
    assert len(sent) == 2


def test_time_left_counts_from_the_last_workload_that_became_ready() -> None:
    assert time_left(0, 14, 5.0, 5.0) == ""  # no pace yet
    assert time_left(14, 14, 30.0, 0.0) == ""  # done
    assert time_left(7, 14, 14.0, 0.0) == ", about 14 s left"  # 2 s each so far
    assert time_left(7, 14, 20.0, 6.0) == ", about 8 s left"  # 6 s of it gone since
    assert time_left(13, 14, 13.4, 0.4) == ", about 1 s left"  # 0.6 s: not "0 s"


def test_time_left_says_so_when_the_estimate_has_run_out() -> None:
    """13 ready in 13 s and nothing since for 10 s: not "about 0 s left"."""
    assert time_left(13, 14, 23.0, 10.0) == ", taking longer than the first ones did"


def _deployment(name: str, cpu: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": name, "image": "nginx", "resources": {"requests": {"cpu": cpu}}}
                    ]
                },
            },
        },
    }


def _row(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(r for r in rows if r["name"] == name)


def test_the_live_table_shows_a_change_that_came_too_soon_after_the_last_update(
    emu: Any, clients: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``web`` becomes ready less than an interval after the first table and nothing
    changes afterwards (``big`` never fits on a node): the table must still show it."""
    monkeypatch.setattr(wait, "DETAIL_INTERVAL", 1.0)
    apply_objects(clients, [_deployment("big", "100")])
    refs = [{"kind": "Deployment", "namespace": "default", "name": name} for name in ("big", "web")]
    control = Quiet()
    tables: list[list[dict[str, Any]]] = []
    ended: list[BaseException] = []

    def run() -> None:
        try:
            wait_workloads(
                clients, refs, control=control, stuck_after=None, timeout=30, on_rows=tables.append
            )
        except BaseException as exc:
            ended.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not tables and time.monotonic() < deadline:
        time.sleep(0.01)
    assert tables and _row(tables[0], "web")["state"] == "missing"
    apply_objects(clients, [_deployment("web", "10m")])
    while _row(tables[-1], "web")["state"] != "ready" and time.monotonic() < deadline:
        time.sleep(0.05)
    shown = _row(tables[-1], "web")["state"]
    control.cancel.set()
    thread.join(10)
    assert shown == "ready", tables[-1]
    assert _row(control.details["deployments"], "web")["state"] == "ready"
    assert _row(tables[-1], "big")["state"] != "ready"
    assert len(ended) == 1 and isinstance(ended[0], Cancelled)


def _progressing(available_message: str, progressing_message: str) -> dict[str, Any]:
    return {
        "metadata": {"generation": 1},
        "spec": {"replicas": 1},
        "status": {
            "observedGeneration": 1,
            "replicas": 1,
            "conditions": [
                {"type": "Available", "status": "False", "message": available_message},
                {"type": "Progressing", "status": "True", "message": progressing_message},
            ],
        },
    }


@pytest.mark.parametrize(
    ("available", "progressing", "shown"),
    [
        (
            "Deployment does not have minimum availability.",
            'ReplicaSet "ui-7d9" is progressing.',
            "",
        ),
        ("", 'ReplicaSet "ui-7d9" has successfully progressed.', ""),
        ("", "", ""),
        ("Quota exceeded for pods: limited: cpu=2", "", "Quota exceeded for pods: limited: cpu=2"),
    ],
)
def test_routine_rollout_messages_are_not_shown_as_a_reason(available, progressing, shown):
    """The table's "Why" column would repeat "progressing" in Kubernetes' words (and
    cut them to a fragment); a message that says something else stays."""
    ready, text, message = wait.workload_ready(_progressing(available, progressing), "Deployment")
    assert (ready, text, message) == (False, "0/1", shown)
