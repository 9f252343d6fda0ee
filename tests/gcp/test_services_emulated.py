"""Project phase against the Service Usage emulator, through the real runner."""

from __future__ import annotations

import threading
import time

from kfwizard.emulator.faults import Faults
from kfwizard.engine.events import StepOutput
from kfwizard.engine.steps.project import CredentialsStep, ServicesStep
from kfwizard.gcp import endpoints, services

from .conftest import PROJECT, SELECTIONS


def batch_enables(stack) -> list:
    return [op for op in stack.serviceusage.operations.values() if op.kind == "batchEnable"]


def test_enable_missing_apis_in_one_batch_then_confirm(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0)
    harness = harness_for(stack)
    run = harness.run([CredentialsStep(), ServicesStep()])
    assert run.result.state == "done", run.result
    creds = run.session.outputs["credentials"]
    assert creds == {
        "project": PROJECT,
        "project_source": "selections",
        "account": None,
        "anonymous": True,
    }
    out = run.session.outputs["services"]
    assert sorted(out["enabled_by_us"]) == ["compute.googleapis.com", "container.googleapis.com"]
    assert {"compute.googleapis.com", "container.googleapis.com"} <= set(out["enabled"])
    assert run.session.inventory["services"] == out["enabled_by_us"]
    ops = batch_enables(stack)
    assert len(ops) == 1 and sorted(ops[0].services) == out["enabled_by_us"]
    assert any(f"batchEnable operation {out['operation']}" in line for line in run.lines())
    # the APIs are really on now, as the official client sees it
    client = endpoints.service_usage(harness.env)
    assert {"compute.googleapis.com", "container.googleapis.com"} <= services.list_enabled(
        client, PROJECT
    )

    again = harness.run([CredentialsStep(), ServicesStep()], run.session)
    assert again.result.state == "done"
    assert again.session.steps["services"].state == "done"  # check() held: nothing to do
    assert len(batch_enables(stack)) == 1


def test_project_detected_from_environment(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0)
    harness = harness_for(stack)
    data = dict(SELECTIONS, project="")
    run = harness.run([CredentialsStep()], harness.new_session(data))
    assert run.result.state == "done"
    out = run.session.outputs["credentials"]
    assert (out["project"], out["project_source"]) == (PROJECT, "CLOUDSDK_CORE_PROJECT")


def test_bad_project_names_the_field(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0)
    harness = harness_for(stack)
    run = harness.run([CredentialsStep()], harness.new_session(dict(SELECTIONS, project="Bad_Id")))
    assert run.result.exit_code == 2
    assert run.result.cause.startswith("project: a project id is 6 to 30 characters")


def test_check_policy_names_the_missing_apis(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0)
    harness = harness_for(stack)
    run = harness.run(
        [CredentialsStep(), ServicesStep()], harness.new_session(dict(SELECTIONS, services="check"))
    )
    assert run.result.state == "failed"
    assert "Kubernetes Engine API (container.googleapis.com)" in run.result.cause
    assert "gcloud services enable compute.googleapis.com container.googleapis.com" in (
        run.result.action
    )
    assert batch_enables(stack) == []


def test_permission_denied_names_permission_and_role(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0, faults=Faults.named("services-permission-denied"))
    harness = harness_for(stack)
    run = harness.run([CredentialsStep(), ServicesStep()])
    assert run.result.state == "failed"
    assert "serviceusage.services.enable" in run.result.cause
    assert "roles/serviceusage.serviceUsageAdmin" in run.result.action
    assert run.session.inventory.get("services") in (None, [])

    stack.faults.clear()  # the owner granted the role: resume
    again = harness.run([CredentialsStep(), ServicesStep()], run.session)
    assert again.result.state == "done"
    assert sorted(again.session.inventory["services"]) == [
        "compute.googleapis.com",
        "container.googleapis.com",
    ]


def test_slow_enable_is_polled_and_logged(make_stack, harness_for, monkeypatch) -> None:
    monkeypatch.setattr(services, "LOG_EVERY", 0.05)  # a "still running" line every 50 ms
    stack = make_stack(speed=0.05)  # enabling takes ~0.2 s: a few polls
    harness = harness_for(stack, poll_interval=0.02)
    run = harness.run([CredentialsStep(), ServicesStep()])
    assert run.result.state == "done", run.result
    text = run.log_text()
    assert "still running" in text and "finished: " in text


def test_the_operation_is_logged_once_when_it_starts(make_stack, harness_for) -> None:
    """One line says the operation started, one that it finished; no "still running"
    echo of the same name right after the start."""
    stack = make_stack(speed=0.05)  # a few polls, well within the first LOG_EVERY
    harness = harness_for(stack, poll_interval=0.02)
    run = harness.run([CredentialsStep(), ServicesStep()])
    assert run.result.state == "done", run.result
    name = run.session.outputs["services"]["operation"]
    naming = [line for line in run.lines("services") if name in line]
    assert len(naming) == 2, naming
    assert naming[0] == f"batchEnable operation {name} started"
    assert naming[1].startswith(f"operation {name} finished: ")


def test_apis_asked_for_by_an_interrupted_run_stay_in_the_inventory(
    make_stack, harness_for
) -> None:
    """Ctrl+C (or a kill) while Google enables the APIs: Google finishes anyway, the
    resumed run finds them on and skips the step, and the session still lists them as
    enabled by it; the APIs that were on before never are."""
    stack = make_stack(speed=0.1)  # enabling takes ~0.4 s
    harness = harness_for(stack, poll_interval=0.02)
    before = set(stack.serviceusage.enabled(PROJECT))
    cancel = threading.Event()

    def stop_once_sent(event) -> None:
        if isinstance(event, StepOutput) and any("batchEnable operation" in x for x in event.lines):
            cancel.set()

    first = harness.run([CredentialsStep(), ServicesStep()], cancel=cancel, on_event=stop_once_sent)
    assert first.result.state == "interrupted" and first.result.failed_step == "services"
    asked = ["compute.googleapis.com", "container.googleapis.com"]
    assert sorted(first.session.inventory["services"]) == asked  # on disk before the request

    client = endpoints.service_usage(harness.env)
    deadline = time.monotonic() + 10
    while not set(asked) <= services.list_enabled(client, PROJECT):  # Google carries on
        assert time.monotonic() < deadline, "the APIs were never enabled"
        time.sleep(0.05)

    again = harness.run([CredentialsStep(), ServicesStep()], first.session)
    assert again.result.state == "done", again.result
    assert len(batch_enables(stack)) == 1  # nothing asked twice
    assert sorted(again.session.inventory["services"]) == asked
    assert sorted(again.session.outputs["services"]["enabled_by_us"]) == asked
    assert not before & set(again.session.inventory["services"])


def test_an_operations_endpoint_that_stays_down_is_named_quickly(make_stack, harness_for) -> None:
    """Polling the operation keeps answering 503: the library's own 10 s retry is off,
    kfwizard's retries run out and the cause names the API and the answer."""
    stack = make_stack(speed=0.05, faults=Faults(fail_paths=("/v1/operations/",)))
    harness = harness_for(stack, poll_interval=0.02)
    started = time.monotonic()
    run = harness.run([CredentialsStep(), ServicesStep()])
    assert run.result.state == "failed"
    assert run.result.cause.startswith(
        "The Service Usage API (serviceusage.googleapis.com) kept answering HTTP 503"
    ), run.result.cause
    assert "resume" in run.result.action
    assert time.monotonic() - started < 8


def test_flaky_api_is_retried(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0, faults=Faults(error_rate=0.3, seed=7))
    harness = harness_for(stack)
    run = harness.run([CredentialsStep(), ServicesStep()])
    assert run.result.state == "done", run.result
    assert "retrying in" in run.log_text()
