"""A kubeconfig client looks at its token now and then, not before every request.

The kubernetes client's refresh hook applies the whole kubeconfig again each time it
runs (``host`` included, whose setter scans the environment for proxies). kfwizard lets
it run at most once per interval; an expiring token is still renewed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import yaml

from kfwizard.gcp.kube_access import TOKEN_CHECK_SECONDS, api_client_for_context

SERVER = "https://127.0.0.1:6443"


def kubeconfig(folder: Path, user: dict[str, Any]) -> Path:
    data = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": SERVER}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    path = folder / "kubeconfig.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def bearer(configuration: Any) -> str:
    """The Authorization value the client would send with its next request."""
    return str(configuration.auth_settings()["BearerToken"]["value"])


def test_a_static_token_is_not_reapplied_per_request(tmp_path: Path) -> None:
    client = api_client_for_context(kubeconfig(tmp_path, {"token": "t0k"}), "ctx")
    configuration = client.configuration
    assert bearer(configuration) == "Bearer t0k"
    # Had the kubeconfig been applied again, the host would be the kubeconfig's.
    configuration.host = "https://elsewhere.invalid"
    for _ in range(50):
        assert bearer(configuration) == "Bearer t0k"
    assert configuration.host == "https://elsewhere.invalid"
    assert TOKEN_CHECK_SECONDS <= 60, "the client renews 5 min early: look well within that"


EXEC_PLUGIN = """
import json, pathlib, sys
from datetime import datetime, timedelta, timezone
counter = pathlib.Path(sys.argv[1])
n = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(n))
soon = datetime.now(timezone.utc) + timedelta(seconds=1)  # gone by the next look
print(json.dumps({
    "apiVersion": "client.authentication.k8s.io/v1beta1",
    "kind": "ExecCredential",
    "status": {"token": f"token-{n}", "expirationTimestamp": soon.strftime("%Y-%m-%dT%H:%M:%SZ")},
}))
"""


def test_an_expiring_token_is_still_renewed(tmp_path: Path, monkeypatch: Any) -> None:
    import kfwizard.gcp.kube_access as kube_access

    monkeypatch.setattr(kube_access, "TOKEN_CHECK_SECONDS", 1.0)
    plugin = tmp_path / "plugin.py"
    plugin.write_text(EXEC_PLUGIN, encoding="utf-8")
    counter = tmp_path / "runs"
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": [str(plugin), str(counter)],
            "interactiveMode": "Never",
        }
    }
    configuration = api_client_for_context(kubeconfig(tmp_path, user), "ctx").configuration
    first = bearer(configuration)
    seen = {first}
    for _ in range(30):  # well inside one interval: the same token, no plugin run
        seen.add(bearer(configuration))
    assert seen == {first}
    runs = int(counter.read_text())
    time.sleep(1.1)
    renewed = bearer(configuration)
    assert renewed != first and renewed == f"Bearer token-{int(counter.read_text())}"
    assert int(counter.read_text()) == runs + 1
