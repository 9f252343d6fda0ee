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
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kfwizard.kube.exec_plugin import PluginAnswer


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
    return _with_user(config, context, {"token": token})


def _with_user(config: dict[str, Any], context: str | None, user: dict[str, Any]) -> dict[str, Any]:
    """A copy whose context's user entry is ``user`` (a token, or nothing at all)."""
    import copy

    data = copy.deepcopy(config)
    name = context or data.get("current-context")
    ctx = next((c for c in data.get("contexts") or [] if c.get("name") == name), None)
    if ctx is None:
        raise ValueError(f"context {name!r} not found")
    user_name = (ctx.get("context") or {}).get("user")
    for entry in data.get("users") or []:
        if entry.get("name") == user_name:
            entry["user"] = dict(user)
    return data


def api_client_for_context(
    kubeconfig_path: str | os.PathLike[str],
    context: str | None,
    token: str | None = None,
    *,
    plugin_timeout: float | None = None,
) -> Any:
    """An ``ApiClient`` for one context of one kubeconfig file (None: its current one).

    ``token`` replaces the user's credentials (exec plugin, auth provider) with a bearer
    token; tests use it to stand in for ``gke-gcloud-auth-plugin`` with the emulator's
    token, and it lets a Google token reach a GKE context without the plugin.
    ``plugin_timeout``: seconds the user's credential plugin may take per run (None:
    ``exec_plugin.RUN_TIMEOUT``); tests shorten it to stop a hanging plugin quickly.
    """
    from kubernetes import config

    path = Path(kubeconfig_path)
    if token is None:
        plugin = _plugin_client(path, context, plugin_timeout)
        if plugin is not None:
            return plugin
        api_client = config.new_client_from_config(
            config_file=str(path), context=context, persist_config=False
        )
    else:
        data = _with_token(_load_kubeconfig(path), context, token)
        api_client = config.new_client_from_config_dict(data, context=context, persist_config=False)
    check_token_at_most_every(api_client.configuration, TOKEN_CHECK_SECONDS)
    return api_client


CREDENTIAL_PROBLEM = "kfwizard_credential_problem"
"""Attribute of an ``ApiClient`` whose kubeconfig user's plugin gave no token: why, in
the plugin's own words, for the message when the API then refuses the request."""


def _plugin_client(path: Path, context: str | None, timeout: float | None = None) -> Any:
    """A client for a context whose user runs a credential plugin, or None (no plugin).

    kfwizard runs the plugin itself, without a terminal (``kube.exec_plugin``), and
    gives the client the token, renewed by running the plugin again shortly before it
    expires. A plugin that fails leaves the client without credentials, as the
    kubernetes client does; its words are kept (``CREDENTIAL_PROBLEM``). The context's
    cluster goes to the plugin when its exec entry asks (``provideClusterInfo``).
    """
    from kubernetes import config

    from kfwizard.kube.exec_plugin import RUN_TIMEOUT, exec_cluster, exec_spec, run_plugin

    try:
        data = _load_kubeconfig(path)
    except (OSError, ValueError):
        return None  # the kubernetes client says what is wrong with the file
    spec = exec_spec(data, context)
    if spec is None:
        return None
    plugin = PluginRun(
        spec=spec,
        cwd=path.parent,
        cluster=exec_cluster(data, context, path.parent),
        timeout=RUN_TIMEOUT if timeout is None else timeout,
    )
    answer = run_plugin(plugin.spec, cwd=plugin.cwd, cluster=plugin.cluster, timeout=plugin.timeout)
    if answer.certificate:
        return None  # a client certificate: the kubernetes client's loader uses it
    user = {"token": answer.token} if answer.token else {}
    api_client = config.new_client_from_config_dict(
        _with_user(data, context, user), context=context, persist_config=False
    )
    if answer.token is None:
        setattr(api_client, CREDENTIAL_PROBLEM, answer.problem)
    else:
        _renew_through_plugin(api_client.configuration, plugin, answer, api_client)
        check_token_at_most_every(api_client.configuration, TOKEN_CHECK_SECONDS)
    return api_client


@dataclass(frozen=True)
class PluginRun:
    """How to run one kubeconfig user's plugin again: its exec entry, the folder it runs
    in (the kubeconfig's), the cluster it may be told about, and its time limit."""

    spec: dict[str, Any]
    cwd: Path
    cluster: dict[str, Any]
    timeout: float


RENEW_RETRY = 30.0
"""Seconds before a failed renewal is tried again."""


def _renew_through_plugin(
    configuration: Any, plugin: PluginRun, first: PluginAnswer, api_client: Any = None
) -> None:
    """Run the plugin again when its token is about to expire (never, without expiry):
    when is the answer's to say (``PluginAnswer.renew_at``), given how often the token
    is looked at.

    The hook runs before every request; copies of the configuration share it and the
    ``api_key`` dict it writes (see ``check_token_at_most_every``). One renewal runs at a
    time, and the plugin runs outside the lock: a plugin that hangs until its timeout
    (a login prompt it cannot show, a network that does not answer) delays only the
    request that started the renewal. Requests meanwhile go on with the old token while
    it is still valid; only those that have no valid token left wait for the renewal,
    since without one the API would refuse them anyway. The wait is bounded by the
    plugin's own timeout.

    The token's expiry and the time of the next renewal are kept apart: a failed
    renewal puts off the next one (``RENEW_RETRY``), not the token's end, or requests
    with an expired token would go on with it during the next renewal instead of
    waiting. When a renewal fails and the token has expired (or will have before the
    next try), the plugin's words go on ``api_client`` (``CREDENTIAL_PROBLEM``), as for
    a plugin that failed at the start: the API's refusal that follows can then say why.
    A later token clears them. The client is held weakly: its configuration holds this
    hook, and a cycle would keep both until the garbage collector ran.
    """
    from kfwizard.kube.exec_plugin import run_plugin

    state = threading.Condition()
    token_expires = [first.expires_at]
    renew_at = [first.renew_at(TOKEN_CHECK_SECONDS)]
    renewing = [False]
    owner = None if api_client is None else weakref.ref(api_client)

    def token_valid() -> bool:
        return token_expires[0] is None or time.time() < token_expires[0]

    def say_why(problem: str | None) -> None:
        client = None if owner is None else owner()
        if client is not None:
            setattr(client, CREDENTIAL_PROBLEM, problem)

    def renew_when_due(target: Any) -> None:
        with state:
            if renew_at[0] is None or time.time() < renew_at[0]:
                return
            if renewing[0]:
                if token_valid():
                    return  # still valid: use it while the renewal runs
                state.wait_for(lambda: not renewing[0], timeout=plugin.timeout + RENEW_RETRY)
                return
            renewing[0] = True
        answer = None
        try:
            answer = run_plugin(
                plugin.spec, cwd=plugin.cwd, cluster=plugin.cluster, timeout=plugin.timeout
            )
        finally:  # the new token (or none) and the end of the renewal, seen at once
            with state:
                if answer is not None and answer.token:
                    # Under the key the kubeconfig loader used ("BearerToken" today).
                    key = next(iter(target.api_key or {}), "BearerToken")
                    target.api_key[key] = f"Bearer {answer.token}"
                    token_expires[0] = answer.expires_at
                    renew_at[0] = answer.renew_at(TOKEN_CHECK_SECONDS)
                    say_why(None)
                else:  # keep the old token, and try again in a while, not on every request
                    retry_at = time.time() + RENEW_RETRY
                    renew_at[0] = retry_at
                    expires = token_expires[0]
                    if expires is not None and expires <= retry_at:  # gone before the retry
                        say_why(
                            answer.problem
                            if answer is not None and answer.problem
                            else "its credential plugin gave no new token"
                        )
                renewing[0] = False
                state.notify_all()

    configuration.refresh_api_key_hook = renew_when_due


TOKEN_CHECK_SECONDS = 30.0
"""How often a kubeconfig client looks at its token's expiry. The client counts a token
as expired five minutes early, so a look every 30 s still renews it in time."""


def check_token_at_most_every(configuration: Any, seconds: float) -> None:
    """Let the kubeconfig's token refresh hook run at most once per ``seconds``.

    A client loaded from a kubeconfig with a token runs that hook before every request,
    and the hook applies the whole kubeconfig to the configuration again: the token
    (renewed only when it expires), but also the host, whose setter reads every
    environment variable looking for a proxy. That was about a quarter of the client's
    CPU time applying KFP (88 objects). Copies of the configuration (one per client,
    see ``KubeClients``) share the hook and so the schedule; they also share the
    ``api_key`` dict the hook writes the token into. The hook installs itself again
    each time it runs, so this one is put back after it.
    """
    hook = configuration.refresh_api_key_hook
    if hook is None:
        return
    lock = threading.Lock()
    last_look = [float("-inf")]

    def look_now_and_then(target: Any) -> None:
        with lock:
            now = time.monotonic()
            if now - last_look[0] < seconds:
                return
            last_look[0] = now
        hook(target)
        target.refresh_api_key_hook = look_now_and_then  # the hook puts itself back

    configuration.refresh_api_key_hook = look_now_and_then
