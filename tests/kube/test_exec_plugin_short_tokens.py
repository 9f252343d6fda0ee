"""A credential plugin that hands out short-lived tokens.

A token was renewed 300 s before it expired. A plugin's token that lives less than that
(2 minutes, say) was inside the margin from the moment it was issued, so it was
renewed at every look at it: every 30 s in a run, before every request here. Now a
short-lived token keeps a third of its life as margin: it is used for most of its life
and renewed once before it expires. The plugins are real scripts that count their runs;
the requests go to the Kubernetes emulator.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import kfwizard.gcp.kube_access as kube_access
from kfwizard.gcp.kube_access import api_client_for_context
from tests.kube.conftest import CONTEXT
from tests.kube.test_exec_plugin import bearer, kubeconfig_with_plugin, plugin

SHORT_LIVED = """
import datetime
now = datetime.datetime.now(datetime.timezone.utc)
expires = (now + datetime.timedelta(seconds={life})).replace(microsecond=0)
pathlib.Path(__file__).with_suffix(f".expires{{count}}").write_text(str(expires.timestamp()))
status = {{"token": f"t{{count}}", "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}}
print(json.dumps({{"apiVersion": info["apiVersion"], "kind": "ExecCredential", "status": status}}))
"""
"""Every run hands out token ``t<run>``, living ``life`` seconds, and writes when it
expires (epoch seconds, as sent: whole seconds) to ``<script>.expires<run>``."""


@pytest.fixture(autouse=True)
def every_request_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests look at the token every time, not once per 30 s: the requests in a row
    here stand for requests 30 s apart in a run."""
    monkeypatch.setattr(kube_access, "TOKEN_CHECK_SECONDS", 0.0)


def _client(emu: Any, tmp_path: Path, life: int) -> tuple[Any, Path]:
    script = plugin(tmp_path, SHORT_LIVED.format(life=life))
    path = kubeconfig_with_plugin(emu, tmp_path, str(script))
    api_client = api_client_for_context(path, CONTEXT)
    assert bearer(api_client) == "Bearer t1"
    return api_client, script


def _request(api_client: Any) -> str:
    """One request to the API (which looks at the token first); the token it sent."""
    from kubernetes.client import VersionApi

    assert VersionApi(api_client).get_code().git_version.startswith("v1.33")
    return bearer(api_client)


def test_a_two_minute_token_is_not_renewed_at_every_look(emu: Any, tmp_path: Path) -> None:
    api_client, script = _client(emu, tmp_path, life=120)
    try:
        sent = [_request(api_client) for _ in range(5)]
    finally:
        api_client.close()
    assert sent == ["Bearer t1"] * 5
    assert script.with_suffix(".calls").read_text() == "1", "renewed at every look"


def test_a_short_lived_token_is_used_for_most_of_its_life_and_renewed_once(
    emu: Any, tmp_path: Path
) -> None:
    """Requests all through an 8-second token's life, up to half a second before it
    expires: it is renewed once, after half its life, before it expires."""
    life = 8
    started = time.time()
    api_client, script = _client(emu, tmp_path, life=life)
    expires = float(script.with_suffix(".expires1").read_text())
    sent: list[tuple[float, str]] = []
    try:
        while time.time() < expires - 0.5:
            sent.append((time.time(), _request(api_client)))
            time.sleep(0.05)
    finally:
        api_client.close()
    assert script.with_suffix(".calls").read_text() == "2", "one renewal, not one per look"
    tokens = [token for _, token in sent]
    assert tokens[0] == "Bearer t1" and tokens[-1] == "Bearer t2", "renewed before it expired"
    renewed = next(at for at, token in sent if token == "Bearer t2")
    assert renewed - started >= life / 2, "t1 was used for most of its life"
    assert tokens == sorted(tokens), "t1 until the renewal, t2 from then on"
