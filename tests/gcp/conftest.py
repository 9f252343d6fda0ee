"""Fixtures for the GCP side: an emulator stack, the run environment, and a way to run
steps through the real engine runner with a real session store."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kfwizard.engine.events import Event, StepDetail, StepOutput, StepProgress
from kfwizard.engine.runner import Runner, RunResult
from kfwizard.session import Session, SessionStore

PROJECT = "kfwizard-demo"

SELECTIONS: dict[str, Any] = {
    "name": "gcp-test",
    "project": PROJECT,
    "services": "enable",
    "cluster": {
        "source": "create",
        "name": "kubeflow-testing",
        "location": "us-central1-a",
        "machine_type": "n1-standard-2",
        "nodes": 3,
        "scopes": ["compute-rw", "gke-default", "storage-rw"],
        "version": "latest",
        "context": None,
    },
    "deployment": {"mode": "kfp-standalone", "version": "2.17.0", "env": "platform-agnostic"},
}


def selections(**cluster: Any) -> dict[str, Any]:
    """The default selections with some ``cluster`` keys changed."""
    data = copy.deepcopy(SELECTIONS)
    data["cluster"].update(cluster)
    return data


@dataclass
class Run:
    """What one runner pass produced."""

    result: RunResult
    session: Session
    events: list[Event] = field(default_factory=list)

    def lines(self, step_id: str | None = None) -> list[str]:
        return [
            line
            for e in self.events
            if isinstance(e, StepOutput) and (step_id is None or e.step_id == step_id)
            for line in e.lines
        ]

    def details(self, key: str) -> list[Any]:
        return [e.value for e in self.events if isinstance(e, StepDetail) and e.key == key]

    def progress(self) -> list[StepProgress]:
        return [e for e in self.events if isinstance(e, StepProgress)]

    def log_text(self) -> str:
        return "\n".join(self.lines())


@dataclass
class Harness:
    """Runs steps like the app does: one session in a store, options with the env."""

    env: dict[str, str]
    store: SessionStore
    options: dict[str, Any] = field(default_factory=dict)

    def new_session(self, data: dict[str, Any] | None = None) -> Session:
        session = Session.new("gcp-test", copy.deepcopy(data or SELECTIONS))
        self.store.save(session)
        return session

    def run(
        self,
        steps: Sequence[Any],
        session: Session | None = None,
        *,
        cancel: threading.Event | None = None,
        on_event: Callable[[Event], None] | None = None,
        **options: Any,
    ) -> Run:
        session = session or self.new_session()
        events: list[Event] = []

        def emit(event: Event) -> None:
            events.append(event)
            if on_event is not None:
                on_event(event)

        # yes: like the wizard, whose Create button is the user's yes to a new cluster.
        opts = {"env": self.env, "yes": True, **self.options, **options}
        runner = Runner(session, self.store, list(steps), emit=emit, cancel=cancel, options=opts)
        result = runner.run()
        return Run(result, self.store.load(session.id), events)

    def choose_cluster(self, session: Session, **cluster: Any) -> Run:
        """Change the session's ``cluster`` answers and run the cluster steps again, as
        going back to the Cluster step does; they must succeed."""
        from kfwizard.engine.steps.cluster import ClusterStep, ConnectStep

        session.selections["cluster"].update(cluster)
        self.store.save(session)
        run = self.run([ClusterStep(), ConnectStep()], session)
        assert run.result.state == "done", run.result
        return run


@pytest.fixture
def make_stack() -> Iterator[Callable[..., Any]]:
    """Start an ``EmulatorStack`` (stopped at the end of the test)."""
    from kfwizard.emulator.stack import EmulatorStack

    started: list[Any] = []

    def make(**kwargs: Any) -> Any:
        stack = EmulatorStack(**kwargs).start()
        started.append(stack)
        return stack

    yield make
    for stack in reversed(started):
        stack.stop()


def run_env(stack: Any, tmp_path: Path) -> dict[str, str]:
    """The stack's variables, with kfwizard's kubeconfig in a file of its own (the
    stack rewrites its kubeconfig whenever clusters change) and a private gcloud dir."""
    env = dict(stack.env())
    env.update(
        {
            "NO_GCE_CHECK": "true",
            "HOME": str(tmp_path / "home"),
            "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
            "KUBECONFIG": str(tmp_path / "kube" / "config"),
            "PATH": str(tmp_path / "no-plugin"),
        }
    )
    return env


@pytest.fixture
def harness_for(tmp_path: Path) -> Callable[[Any], Harness]:
    def build(stack: Any, **options: Any) -> Harness:
        return Harness(run_env(stack, tmp_path), SessionStore(tmp_path / "sessions"), options)

    return build
