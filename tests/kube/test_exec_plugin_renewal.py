"""Renewing a credential plugin's token while requests go on.

A plugin can hang until its timeout (a login prompt it cannot show, a network that does
not answer). The renewal used to hold its lock all that while, so every request behind
it waited, even those whose token was still good. Now one renewal runs at a time: other
requests use the old token while it is valid, and only those without a valid token wait
for the renewal; a failed renewal does not change when the token expires. The plugins
are real scripts; a renewal hangs until the test lets it go.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kfwizard.gcp.kube_access as kube_access
import kfwizard.kube.exec_plugin as exec_plugin
from kfwizard.gcp.kube_access import CREDENTIAL_PROBLEM, api_client_for_context
from tests.kube.conftest import CONTEXT
from tests.kube.test_exec_plugin import bearer, kubeconfig_with_plugin, plugin

RENEWAL_HANGS = """
import datetime, time
here = pathlib.Path(__file__)
now = datetime.datetime.now(datetime.timezone.utc)
if count == 1:
    expires = now + datetime.timedelta(seconds={first_expires})
elif count in {failing}:
    print("ERROR: gke-gcloud-auth-plugin: Please run: gcloud auth login", file=sys.stderr)
    sys.exit(1)
else:  # a renewal: say it started, then hang until the test lets it go
    here.with_suffix(".started").write_text(str(count))
    while not here.with_suffix(".release").exists():
        time.sleep(0.02)
    expires = now + datetime.timedelta(hours=1)
status = {{"token": f"t{{count}}", "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}}
print(json.dumps({{"apiVersion": info["apiVersion"], "kind": "ExecCredential", "status": status}}))
"""
"""The first token expires in ``first_expires`` seconds (a renewal is due at once, see
``every_request_looks``); the runs numbered in ``failing`` fail with the plugin's
complaint; any other renewal hangs until ``<script>.release`` exists."""

HANGS = """
import time
time.sleep(600)
"""

WAIT = 30.0
"""Generous bound on waits that end at once when all is well (guards, not timings)."""


@pytest.fixture(autouse=True)
def every_request_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests look at the token every time, not once per 30 s: two requests in a row
    then reach the renewal, as two requests 30 s apart do in a run. And a token is due
    for renewal from the start (the whole of its life is margin), as it is in a run
    once most of its life is over: these tests are about what happens during a
    renewal, not when it comes (test_exec_plugin_short_tokens)."""
    monkeypatch.setattr(kube_access, "TOKEN_CHECK_SECONDS", 0.0)
    monkeypatch.setattr(exec_plugin, "RENEW_SHARE", 1.0)


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"waited {WAIT:g} s for {what}"
        time.sleep(0.02)


def _request(configuration: Any, done: list[tuple[str, str]], name: str) -> threading.Thread:
    """A request's look at its token (the hook the client runs first), in its own thread;
    ``done`` gets (name, the token it then sends) when it may go on."""

    def look() -> None:
        configuration.refresh_api_key_hook(configuration)
        done.append((name, str(configuration.api_key["BearerToken"])))

    thread = threading.Thread(target=look, name=name, daemon=True)
    thread.start()
    return thread


def _renewal_client(
    emu: Any, tmp_path: Path, first_expires: int, failing: tuple[int, ...] = ()
) -> tuple[Any, Path]:
    script = plugin(tmp_path, RENEWAL_HANGS.format(first_expires=first_expires, failing=failing))
    path = kubeconfig_with_plugin(emu, tmp_path, str(script))
    api_client = api_client_for_context(path, CONTEXT, plugin_timeout=WAIT * 2)
    assert bearer(api_client) == "Bearer t1"
    return api_client, script


def test_a_hanging_renewal_does_not_hold_requests_whose_token_is_still_valid(
    emu: Any, tmp_path: Path
) -> None:
    api_client, script = _renewal_client(emu, tmp_path, first_expires=120)
    configuration = api_client.configuration
    done: list[tuple[str, str]] = []
    try:
        renewing = _request(configuration, done, "renewing")
        _until(script.with_suffix(".started").exists, "the renewal to start")
        other = _request(configuration, done, "other")
        other.join(WAIT)  # at once with the fix; before, until the renewal ended
        from kubernetes.client import VersionApi

        assert VersionApi(api_client).get_code().git_version.startswith("v1.33")
    finally:
        script.with_suffix(".release").write_text("")
    renewing.join(WAIT)
    assert done == [("other", "Bearer t1"), ("renewing", "Bearer t2")]
    assert script.with_suffix(".calls").read_text() == "2", "one renewal, not one per request"
    api_client.close()


def test_requests_without_a_valid_token_wait_for_the_renewal_under_way(
    emu: Any, tmp_path: Path
) -> None:
    api_client, script = _renewal_client(emu, tmp_path, first_expires=-60)  # expired
    configuration = api_client.configuration
    done: list[tuple[str, str]] = []
    try:
        renewing = _request(configuration, done, "renewing")
        _until(script.with_suffix(".started").exists, "the renewal to start")
        waiting = [_request(configuration, done, f"waiting-{n}") for n in range(3)]
        time.sleep(0.2)  # room for a wrong early answer to show; not a timing assertion
        assert done == [], "a request went on with an expired token"
    finally:
        script.with_suffix(".release").write_text("")
    for thread in (renewing, *waiting):
        thread.join(WAIT)
    assert sorted(done) == sorted(
        [("renewing", "Bearer t2")] + [(f"waiting-{n}", "Bearer t2") for n in range(3)]
    )
    assert script.with_suffix(".calls").read_text() == "2", "they waited, and ran no plugin"
    api_client.close()


def test_after_a_failed_renewal_an_expired_token_still_waits_for_the_next_one(
    emu: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed renewal used to overwrite the token's expiry with the time of the next
    try, so during that next renewal an expired token counted as valid and requests went
    on with it at once. The failure's words are kept for the API's refusal meanwhile."""
    monkeypatch.setattr(kube_access, "RENEW_RETRY", 0.0)  # the next request tries again
    api_client, script = _renewal_client(emu, tmp_path, -60, failing=(2,))  # expired
    configuration = api_client.configuration
    done: list[tuple[str, str]] = []
    _request(configuration, done, "failed").join(WAIT)
    assert done == [("failed", "Bearer t1")], "nothing better to send"
    assert getattr(api_client, CREDENTIAL_PROBLEM) == (
        f"its credential plugin {script} failed (exit 1): "
        "ERROR: gke-gcloud-auth-plugin: Please run: gcloud auth login"
    )
    try:
        renewing = _request(configuration, done, "renewing")
        _until(script.with_suffix(".started").exists, "the second renewal to start")
        waiting = _request(configuration, done, "waiting")
        time.sleep(0.2)  # room for a wrong early answer to show; not a timing assertion
        assert done == [("failed", "Bearer t1")], "a request went on with an expired token"
    finally:
        script.with_suffix(".release").write_text("")
    for thread in (renewing, waiting):
        thread.join(WAIT)
    assert sorted(done[1:]) == [("renewing", "Bearer t3"), ("waiting", "Bearer t3")]
    assert script.with_suffix(".calls").read_text() == "3"
    assert getattr(api_client, CREDENTIAL_PROBLEM, None) is None, "a new token clears it"
    api_client.close()


def test_a_failed_renewal_of_a_token_still_valid_keeps_it_and_blames_nothing(
    emu: Any, tmp_path: Path
) -> None:
    """The token outlives the retry (RENEW_RETRY, 30 s): requests go on with it, and
    there is no refusal for the plugin's words to explain."""
    api_client, script = _renewal_client(emu, tmp_path, 120, failing=(2,))
    done: list[tuple[str, str]] = []
    _request(api_client.configuration, done, "failed").join(WAIT)
    _request(api_client.configuration, done, "next").join(WAIT)  # before the retry is due
    assert done == [("failed", "Bearer t1"), ("next", "Bearer t1")]
    assert script.with_suffix(".calls").read_text() == "2", "no retry before RENEW_RETRY"
    assert getattr(api_client, CREDENTIAL_PROBLEM, None) is None
    from kubernetes.client import VersionApi

    assert VersionApi(api_client).get_code().git_version.startswith("v1.33")
    api_client.close()


def test_a_plugin_that_never_answers_is_stopped_at_its_timeout_which_is_named(
    emu: Any, tmp_path: Path
) -> None:
    script = plugin(tmp_path, HANGS)
    path = kubeconfig_with_plugin(emu, tmp_path, str(script))
    api_client = api_client_for_context(path, CONTEXT, plugin_timeout=0.5)
    try:
        assert getattr(api_client, CREDENTIAL_PROBLEM) == (
            f"its credential plugin {script} gave no answer within 0.5 s and was stopped "
            "(a plugin that waits for a login or a network)"
        )
        assert not api_client.configuration.api_key
    finally:
        api_client.close()
