"""Another cluster, or other manifests, send every later step back to "not done".

What a later step did against the old target (done, failed, stopped) says nothing about
the new one: a preflight that failed on the old cluster must not show as the new
cluster's failure, with its cause and its advice about the old cluster. The same target
chosen again changes nothing: a failed step stays failed, with its cause, until it runs.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import yaml

from kfwizard.engine.errors import StepFailed
from kfwizard.engine.runner import Runner
from kfwizard.engine.step import BaseStep, StepContext
from kfwizard.session import Session, SessionStore

ROOT = Path(__file__).resolve().parents[2]


class TargetStep(BaseStep):
    """Points the later steps at the thing its selection names (a cluster, a mode)."""

    TARGET_OUTPUTS = ("name",)

    def __init__(self, step_id: str, key: str) -> None:
        self.id, self.key, self.title = step_id, key, f"Toy {step_id}"

    def check(self, ctx: StepContext) -> bool:
        return ctx.outputs.get("name") == ctx.selections[self.key]

    def apply(self, ctx: StepContext) -> None:
        ctx.outputs["name"] = ctx.selections[self.key]


class BrokenStep(BaseStep):
    """Fails, naming the cluster it ran against, while its ``.broken`` file exists."""

    def __init__(self, step_id: str, work: Path) -> None:
        self.id, self.work, self.title = step_id, work, f"Toy {step_id}"

    def check(self, ctx: StepContext) -> bool:
        return (self.work / f"{self.id}.done").exists()

    def apply(self, ctx: StepContext) -> None:
        if (self.work / f"{self.id}.broken").exists():
            cluster = ctx.session.outputs["cluster"]["name"]
            raise StepFailed(f"{self.id} failed on {cluster}", action=f"resize {cluster}")
        (self.work / f"{self.id}.done").touch()


def _plan(work: Path) -> list[BaseStep]:
    return [
        TargetStep("cluster", "cluster"),
        TargetStep("manifests", "mode"),
        *(BrokenStep(s, work) for s in ("preflight", "apply", "verify")),
    ]


def _run(store: SessionStore, session_id: str, steps: list[BaseStep]) -> Session:
    session = store.load(session_id)
    Runner(session, store, steps).run()
    return store.load(session_id)


def test_another_cluster_resets_a_failed_later_step_and_the_same_one_keeps_it(
    tmp_path: Path,
) -> None:
    store = SessionStore()
    session = Session.new("stale", {"cluster": "one", "mode": "a"})
    store.save(session)
    (tmp_path / "preflight.broken").touch()
    _run(store, session.id, _plan(tmp_path))
    failed = _run(store, session.id, _plan(tmp_path))  # a retry: attempt 2
    assert failed.steps["preflight"].state == "failed"
    assert failed.steps["preflight"].attempts == 2

    # Back to the Cluster step, the same cluster: its failure is still the one to show.
    same = _run(store, session.id, [TargetStep("cluster", "cluster")])
    kept = same.steps["preflight"]
    assert (kept.state, kept.cause, kept.action) == (
        "failed",
        "preflight failed on one",
        "resize one",
    )
    assert kept.attempts == 2

    # Another cluster: nothing has run on it, so there is no failure, no advice about
    # the old cluster, and the first run there is no retry.
    same.selections["cluster"] = "two"
    store.save(same)
    moved = _run(store, session.id, [TargetStep("cluster", "cluster")])
    reset = moved.steps["preflight"]
    assert (reset.state, reset.cause, reset.action) == ("pending", None, None)
    assert reset.attempts == 0
    assert reset.note == "to run again: Toy cluster changed"
    assert moved.steps["manifests"].state == "pending"  # was done: reset as before
    # Steps that never ran stay as they were, with no note to explain.
    assert (moved.steps["apply"].state, moved.steps["apply"].note) == ("pending", None)


def test_other_manifests_reset_done_failed_and_interrupted_later_steps(tmp_path: Path) -> None:
    store = SessionStore()
    session = Session.new("stale", {"cluster": "one", "mode": "a"})
    store.save(session)
    (tmp_path / "apply.broken").touch()
    ran = _run(store, session.id, _plan(tmp_path))
    assert [ran.steps[s].state for s in ("preflight", "apply")] == ["done", "failed"]
    ran.record("verify", "interrupted", "stopped at your request")
    ran.selections["mode"] = "b"
    store.save(ran)

    mode_run = [TargetStep("cluster", "cluster"), TargetStep("manifests", "mode")]
    moved = _run(store, session.id, mode_run)
    for step_id in ("preflight", "apply", "verify"):
        record = moved.steps[step_id]
        assert (record.state, record.cause, record.action) == ("pending", None, None), step_id
        assert record.note == "to run again: Toy manifests changed"
    assert moved.steps["cluster"].state == "done"  # earlier steps are not touched


def test_a_failed_preflight_is_not_the_next_clusters_failure(kfwizard_home: Path) -> None:
    """The tester's case, headless against the demo emulators: the preflight fails on
    a cluster without a default StorageClass; going back to the Cluster step with the
    same answers keeps that failure; a new cluster there clears it."""
    from kfwizard.headless import run_headless

    answers = kfwizard_home / "answers.yaml"
    data = yaml.safe_load((ROOT / "examples" / "demo.yaml").read_text())
    answers.write_text(yaml.safe_dump(data))

    def run(until: str | None) -> int:
        """``kfwizard run --demo --answers answers.yaml``: the same file resumes the
        same session, with whatever the file says now."""
        out = io.StringIO()
        return run_headless(
            answers=answers,
            session_id=None,
            until=until,
            demo=True,
            faults=["no-default-storageclass"],
            yes=True,
            speed=0.0,
            stream=out,
            env=dict(os.environ),
        )

    assert run(None) == 1
    store = SessionStore()
    [session] = store.list()
    failed = session.steps["preflight"]
    assert failed.state == "failed" and "default-storageclass" in (failed.cause or "")

    assert run("cluster") == 0
    kept = store.load(session.id).steps["preflight"]
    assert (kept.state, kept.cause) == ("failed", failed.cause)

    data["cluster"]["name"] = "cluster-two"
    answers.write_text(yaml.safe_dump(data))
    assert run("cluster") == 0
    [moved] = store.list()
    assert moved.id == session.id
    assert moved.outputs["cluster"]["name"] == "cluster-two"
    reset = moved.steps["preflight"]
    assert (reset.state, reset.cause, reset.action) == ("pending", None, None)
    assert moved.status == "done"


def test_a_run_after_a_teardown_starts_from_what_the_teardown_left(tmp_path: Path) -> None:
    """A teardown removed the install (and here the cluster): a later run that stops
    early (``--until project``) turned the session back into "Verify · done" in
    ``sessions`` and the picker. The removed phases go back to pending when the run
    starts; a teardown run itself leaves them."""
    store = SessionStore()
    session = Session.new("after", {"cluster": "one", "mode": "a"})
    store.save(session)
    _run(store, session.id, _plan(tmp_path))
    torn = store.load(session.id)
    torn.record("uninstall", "done")
    torn.status = "removed"
    store.save(torn)

    again = _run(store, session.id, [BrokenStep("uninstall", tmp_path)])  # a teardown run
    assert again.steps["apply"].state == "done"

    again.status = "removed"
    store.save(again)
    ran = _run(store, session.id, [BrokenStep("credentials", tmp_path)])
    for step_id in ("preflight", "apply", "verify"):
        record = ran.steps[step_id]
        assert (record.state, record.attempts) == ("pending", 0), step_id
        assert record.note == "to run again: a teardown removed it"
    assert ran.steps["cluster"].state == "done", "the teardown kept the cluster"

    ran.inventory["cluster"] = {"name": "one", "deleted": True}
    ran.record("delete-cluster", "done")
    ran.status = "removed"
    store.save(ran)
    gone = _run(store, session.id, [BrokenStep("credentials", tmp_path)])
    assert gone.steps["cluster"].state == "pending", "a deleted cluster is made again"


def test_a_new_teardown_counts_its_attempts_afresh_and_an_unfinished_one_carries_on(
    tmp_path: Path,
) -> None:
    store = SessionStore()
    session = Session.new("td", {"cluster": "one"})
    store.save(session)
    teardown = [BrokenStep("uninstall", tmp_path)]
    first = _run(store, session.id, teardown)
    assert first.steps["uninstall"].attempts == 1
    first.status = "removed"
    store.save(first)
    (tmp_path / "uninstall.done").unlink()
    (tmp_path / "uninstall.broken").touch()
    second = _run(store, session.id, teardown)
    assert (second.steps["uninstall"].state, second.steps["uninstall"].attempts) == ("failed", 1)
    third = _run(store, session.id, teardown)  # carries on the unfinished one
    assert third.steps["uninstall"].attempts == 2
