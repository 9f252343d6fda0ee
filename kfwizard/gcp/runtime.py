"""Per-run settings for the Google side: environment, clients, pacing, timeouts.

Steps get one environment snapshot per run (``ctx.options["env"]``); the clients,
credentials, polling pace and retry policy all derive from it here, once, so every
step behaves the same. Against a loopback endpoint (the emulators) polling and retries
are fast, since a local server costs nothing to ask; against Google they follow the
pace Google's own tools use.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from kfwizard.gcp.endpoints import endpoint_override
from kfwizard.gcp.retries import RetryPolicy

SPEED_VARIABLES = ("KFWIZARD_EMULATOR_SPEED", "KFWIZARD_DEMO_SPEED")

DEFAULT_TIMEOUTS: dict[str, float] = {
    "cluster": 1800.0,
    "services": 600.0,
    "connect": 120.0,
}


GKE_CREATE_SECONDS = 300.0
"""A zonal Standard cluster usually takes about five minutes (the "about N min left")."""
GKE_DELETE_SECONDS = 240.0

EMULATED_CREATE_SECONDS = 18.0
"""The built-in GKE emulator's create at speed 1 (the sum of its stages); scaled by the
speed, so the demo does not announce five minutes for an operation of seconds."""
EMULATED_DELETE_SECONDS = 6.0


def expected_seconds(ctx: Any, operation: str) -> float:
    """How long a cluster ``operation`` ("create" or "delete") should take here: GKE's
    usual time, or the emulator's own at its speed when the speed is known."""
    pace = speed(ctx)
    if pace is None:
        return GKE_CREATE_SECONDS if operation == "create" else GKE_DELETE_SECONDS
    nominal = EMULATED_CREATE_SECONDS if operation == "create" else EMULATED_DELETE_SECONDS
    return nominal * pace


def env_of(ctx: Any) -> Mapping[str, str]:
    env = (getattr(ctx, "options", None) or {}).get("env")
    return env if env is not None else os.environ


def _loopback_url(url: str | None) -> bool:
    if not url:
        return False
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def emulated(env: Mapping[str, str]) -> bool:
    """True when the Google endpoints are overridden to loopback (the emulators)."""
    return any(_loopback_url(endpoint_override(env, api)) for api in ("container", "serviceusage"))


def speed(ctx: Any) -> float | None:
    """The emulators' time scale when known (run option, else the env), else None."""
    value = (getattr(ctx, "options", None) or {}).get("speed")
    if value is None:
        env = env_of(ctx)
        for name in SPEED_VARIABLES:
            if env.get(name):
                value = env[name]
                break
    try:
        return None if value is None else max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def poll_interval(ctx: Any) -> float:
    """How often to ask about an operation: 5 s on Google, a blink on the emulators."""
    options = getattr(ctx, "options", None) or {}
    if options.get("poll_interval") is not None:
        return float(options["poll_interval"])
    return 0.1 if emulated(env_of(ctx)) else 5.0


def retry_policy(ctx: Any) -> RetryPolicy:
    options = getattr(ctx, "options", None) or {}
    if isinstance(options.get("retry"), RetryPolicy):
        return options["retry"]
    if emulated(env_of(ctx)):
        return RetryPolicy(attempts=6, initial=0.05, maximum=0.5)
    return RetryPolicy()


def timeout(ctx: Any, name: str) -> float:
    """``ctx.options["timeouts"][name]`` (seconds) or the default for ``name``."""
    timeouts = (getattr(ctx, "options", None) or {}).get("timeouts") or {}
    value = timeouts.get(name) if isinstance(timeouts, dict) else None
    try:
        return float(value) if value is not None else DEFAULT_TIMEOUTS[name]
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUTS[name]


def credentials(ctx: Any) -> Any:
    """The run's Google credentials, loaded once and shared by all steps."""
    from kfwizard.gcp.auth import load_credentials

    env = env_of(ctx)
    return ctx.resource("gcp.credentials", lambda: load_credentials(env))


def cluster_manager(ctx: Any) -> Any:
    from kfwizard.gcp import endpoints

    env = env_of(ctx)
    return ctx.resource(
        "gcp.cluster_manager", lambda: endpoints.cluster_manager(env, credentials(ctx))
    )


def service_usage(ctx: Any) -> Any:
    from kfwizard.gcp import endpoints

    env = env_of(ctx)
    return ctx.resource("gcp.service_usage", lambda: endpoints.service_usage(env, credentials(ctx)))


def project_of(ctx: Any) -> str | None:
    """The project the credentials step settled on, else the selections' one."""
    found = ctx.output_of("credentials").get("project") if hasattr(ctx, "output_of") else None
    return found or (ctx.selections.get("project") or None)
