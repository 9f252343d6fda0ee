"""Google API clients pointed where gcloud would point them.

One environment (gcloud's own ``CLOUDSDK_API_ENDPOINT_OVERRIDES_*`` variables) steers
gcloud, kubectl and kfwizard alike, so the demo's ``export`` lines work for all three.
The REST transport is used everywhere, production included, so the emulator exercises
exactly the production code path (emulators-feasibility §2b).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

OVERRIDE_PREFIX = "CLOUDSDK_API_ENDPOINT_OVERRIDES_"


def normalise_endpoint(value: str) -> str:
    """``http://127.0.0.1:PORT/`` or ``.../v1/`` (gcloud form) to ``scheme://host:port``.

    The Python clients add the ``/v1/...`` path themselves; a value with no scheme is
    taken as https, like the clients do.
    """
    text = value.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    return f"{parts.scheme}://{parts.netloc}"


def endpoint_override(env: Mapping[str, str] | None, api: str) -> str | None:
    """The normalised override for ``api`` (``container``, ``serviceusage``) or None."""
    env = os.environ if env is None else env
    value = (env.get(OVERRIDE_PREFIX + api.upper()) or "").strip()
    return normalise_endpoint(value) if value else None


def client_options(env: Mapping[str, str] | None, api: str) -> dict[str, str]:
    endpoint = endpoint_override(env, api)
    return {"api_endpoint": endpoint} if endpoint else {}


def _credentials(env: Mapping[str, str] | None, credentials: Any) -> Any:
    if credentials is not None:
        return credentials
    from kfwizard.gcp.auth import load_credentials

    return load_credentials(env)


def cluster_manager(env: Mapping[str, str] | None = None, credentials: Any = None) -> Any:
    """A GKE ``ClusterManagerClient`` (REST)."""
    from google.cloud import container_v1

    return container_v1.ClusterManagerClient(
        transport="rest",
        credentials=_credentials(env, credentials),
        client_options=client_options(env, "container"),
    )


def service_usage(env: Mapping[str, str] | None = None, credentials: Any = None) -> Any:
    """A Service Usage ``ServiceUsageClient`` (REST)."""
    from google.cloud import service_usage_v1

    return service_usage_v1.ServiceUsageClient(
        transport="rest",
        credentials=_credentials(env, credentials),
        client_options=client_options(env, "serviceusage"),
    )
