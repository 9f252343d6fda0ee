"""Endpoint overrides in gcloud's form, and the retry loop's decisions."""

from __future__ import annotations

import pytest
from google.api_core import exceptions as gexc

from kfwizard.gcp import endpoints, retries, runtime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080"),
        ("https://container.googleapis.com/", "https://container.googleapis.com"),
        ("localhost:9000", "https://localhost:9000"),
    ],
)
def test_normalise_endpoint(value: str, expected: str) -> None:
    assert endpoints.normalise_endpoint(value) == expected


def test_overrides_from_the_env_mapping_only() -> None:
    env = {"CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER": "http://127.0.0.1:1234/v1/"}
    assert endpoints.client_options(env, "container") == {"api_endpoint": "http://127.0.0.1:1234"}
    assert endpoints.client_options(env, "serviceusage") == {}
    assert runtime.emulated(env)
    assert not runtime.emulated({})


def test_clients_use_rest_and_the_override() -> None:
    env = {
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER": "http://127.0.0.1:1/",
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_SERVICEUSAGE": "http://127.0.0.1:2/",
        "CLOUDSDK_AUTH_DISABLE_CREDENTIALS": "true",
    }
    gke = endpoints.cluster_manager(env)
    assert gke.transport.kind == "rest" and gke.api_endpoint == "http://127.0.0.1:1"
    su = endpoints.service_usage(env)
    assert su.transport.kind == "rest" and su.api_endpoint == "http://127.0.0.1:2"


def test_transient_errors_are_retried_with_logged_waits() -> None:
    waits: list[float] = []
    lines: list[str] = []
    answers = [gexc.ServiceUnavailable("busy"), gexc.TooManyRequests("slow"), "ok"]

    def call() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    result = retries.call_with_retries(
        call, what="listing", sleep=waits.append, log=lines.append, policy=retries.FAST
    )
    assert result == "ok" and len(waits) == 2
    assert "listing: HTTP 503" in lines[0] and "attempt 2 of 5" in lines[0]


def test_permanent_and_exhausted_errors_are_raised() -> None:
    with pytest.raises(gexc.Forbidden):
        retries.call_with_retries(
            lambda: (_ for _ in ()).throw(gexc.Forbidden("no")), what="x", sleep=lambda s: None
        )
    calls = []

    def always_503() -> None:
        calls.append(1)
        raise gexc.ServiceUnavailable("down")

    with pytest.raises(gexc.ServiceUnavailable):
        retries.call_with_retries(always_503, what="x", sleep=lambda s: None, policy=retries.FAST)
    assert len(calls) == retries.FAST.attempts
    calls.clear()
    with pytest.raises(gexc.ServiceUnavailable):
        retries.call_with_retries(
            always_503, what="x", sleep=lambda s: None, permanent=lambda exc: True
        )
    assert len(calls) == 1


def test_a_library_retry_error_is_judged_by_its_cause() -> None:
    """Should the client library's own retry still give up (``RetryError``), kfwizard
    treats it as the error behind it: retried if that is, and worded, never unknown."""
    gave_up = gexc.RetryError("Timeout of 20.0s exceeded", gexc.ServiceUnavailable("down"))
    assert retries.cause_of(gave_up).code == 503
    assert retries.is_transient(gave_up) and retries.is_google_error(gave_up)
    assert retries.describe(gave_up).startswith("HTTP 503")
    refused = gexc.RetryError("gave up", gexc.Forbidden("no"))
    assert not retries.is_transient(refused) and retries.is_google_error(refused)
    assert retries.is_transient(gexc.RetryError("deadline", None))
    assert not retries.is_google_error(ValueError("a bug"))
