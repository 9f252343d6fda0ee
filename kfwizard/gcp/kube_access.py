"""Kubernetes API clients built in-process from GKE facts or from a kubeconfig context.

The wizard never needs ``gke-gcloud-auth-plugin`` or the process-wide kubernetes
configuration: for a GKE cluster it uses the endpoint and CA GKE reported plus an
access token from the same Google credentials as every other call; for a kubeconfig
context it loads that one file and context into a private ``ApiClient``.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
import weakref
from pathlib import Path
from typing import Any


def ca_pem(ca_pem_or_b64: str) -> str:
    """The PEM text from a PEM or base64-encoded PEM (GKE sends base64)."""
    text = ca_pem_or_b64.strip()
    if text.startswith("-----BEGIN"):
        return text + "\n"
    return base64.b64decode("".join(text.split())).decode("ascii")


def server_url(endpoint: str) -> str:
    """GKE gives a bare address (``34.1.2.3`` or ``127.0.0.1:PORT``); kubectl uses https."""
    text = endpoint.strip().rstrip("/")
    return text if "://" in text else f"https://{text}"


def _write_ca(pem: str) -> str:
    fd, name = tempfile.mkstemp(prefix="kfwizard-ca-", suffix=".crt")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(pem)
    return name


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def api_client_for_cluster(endpoint: str, ca_pem_or_b64: str | None, token: str | None) -> Any:
    """An ``ApiClient`` for ``https://{endpoint}`` trusting the cluster's CA.

    The CA goes to a private temp file (the client wants a path) that is removed when
    the client is garbage-collected. ``token`` (a Google access token) is sent as a
    bearer token when present; anonymous (emulator) runs send none.
    """
    from kubernetes import client

    configuration = client.Configuration()
    configuration.host = server_url(endpoint)
    ca_file = None
    if ca_pem_or_b64:
        ca_file = _write_ca(ca_pem(ca_pem_or_b64))
        configuration.ssl_ca_cert = ca_file
        configuration.verify_ssl = True
    if token:
        configuration.api_key = {"authorization": f"Bearer {token}"}
    api_client = client.ApiClient(configuration=configuration)
    if ca_file is not None:
        weakref.finalize(api_client, _remove, ca_file)
    return api_client


def _load_kubeconfig(path: Path) -> dict[str, Any]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a kubeconfig")
    return data


def _with_token(config: dict[str, Any], context: str | None, token: str) -> dict[str, Any]:
    """A copy whose context's user authenticates with ``token`` instead of exec/providers."""
    import copy

    data = copy.deepcopy(config)
    name = context or data.get("current-context")
    ctx = next((c for c in data.get("contexts") or [] if c.get("name") == name), None)
    if ctx is None:
        raise ValueError(f"context {name!r} not found")
    user_name = (ctx.get("context") or {}).get("user")
    for user in data.get("users") or []:
        if user.get("name") == user_name:
            user["user"] = {"token": token}
    return data


def api_client_for_context(
    kubeconfig_path: str | os.PathLike[str], context: str | None, token: str | None = None
) -> Any:
    """An ``ApiClient`` for one context of one kubeconfig file (None: its current one).

    ``token`` replaces the user's credentials (exec plugin, auth provider) with a bearer
    token; tests use it to stand in for ``gke-gcloud-auth-plugin`` with the emulator's
    token, and it lets a Google token reach a GKE context without the plugin.
    """
    from kubernetes import config

    path = Path(kubeconfig_path)
    if token is None:
        return config.new_client_from_config(
            config_file=str(path), context=context, persist_config=False
        )
    data = _with_token(_load_kubeconfig(path), context, token)
    return config.new_client_from_config_dict(data, context=context, persist_config=False)
