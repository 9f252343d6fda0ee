"""The clients of one run: a shared ``ApiClient``, a ``DynamicClient``, typed APIs.

Why one ``ApiClient``: it owns the urllib3 connection pool, so every thread reuses
keep-alive connections instead of paying a TLS handshake per request. Its pool is sized
for the apply workers plus the watches (:data:`POOL_SIZE`); a pool smaller than the
number of threads makes urllib3 open and discard extra connections ("Connection pool is
full") and slows everything down.

Why a private discovery cache path per run, never written: ``DynamicClient`` caches
discovery in a file named after the server URL. Emulators reuse ports, and a cluster gains
kinds as CRDs are applied, so a shared cache would answer with another server's kinds.
The client's own discoverer also rewrites that whole file after every group it fetches
(11 ``json.dump`` calls of a growing file per KFP apply), though nothing reads it back
within a run: :class:`_MemoryDiscoverer` keeps discovery in memory only.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterable, Mapping
from typing import Any, cast

from kfwizard.kube.control import Control
from kfwizard.kube.errors import KubeFailure
from kfwizard.kube.retry import with_retries

POOL_SIZE = 24
"""Connections kept per host: 8 apply workers + watches + verify/port-forward, with room."""


def ensure_pool_size(api_client: Any, size: int = POOL_SIZE) -> None:
    """Make the client's urllib3 pool hold at least ``size`` connections per host."""
    from kubernetes.client import rest

    conf = api_client.configuration
    if (conf.connection_pool_maxsize or 0) >= size:
        return
    conf.connection_pool_maxsize = size
    old = api_client.rest_client
    api_client.rest_client = rest.RESTClientObject(conf)
    old.close()


def _memory_discoverer() -> type:
    """``LazyDiscoverer`` without the cache file, plus a refresh of chosen groups only.

    Built on first use so importing this module stays free of the kubernetes package.
    """
    from kubernetes.dynamic.discovery import LazyDiscoverer

    class _MemoryDiscoverer(LazyDiscoverer):  # type: ignore[misc]
        def _write_cache(self) -> None:
            """Nothing reads the file back within a run (see the module docstring)."""

        def refresh_groups(self, groups: Iterable[str]) -> None:
            """Re-read the list of API groups (one request); forget what is known of
            ``groups`` so their kinds are fetched again on next use. Every other group,
            and the core API, keeps what it already fetched."""
            # The library's stubs infer ``_cache`` as ``dict[str, str]``; it holds dicts.
            resources = cast(dict[str, Any], self._cache["resources"])
            core = resources.get("api")
            self.parse_api_groups(request_resources=False, update=True)
            if core is not None:
                resources["api"] = core
            for group in groups:
                for version in (resources.get("apis") or {}).get(group, {}).values():
                    version.resources = {}

    return _MemoryDiscoverer


class KubeClients:
    """Everything that talks to one cluster during one run. Thread-safe to share."""

    def __init__(self, api_client: Any, *, pool_size: int = POOL_SIZE, label: str = "") -> None:
        ensure_pool_size(api_client, pool_size)
        self.api_client = api_client
        self.label = label or api_client.configuration.host
        self._tmp = tempfile.TemporaryDirectory(prefix="kfwizard-discovery-")
        self._lock = threading.RLock()
        self._dynamic: Any = None
        self._resources: dict[tuple[str, str], Any] = {}
        self._typed: dict[str, Any] = {}

    # -- discovery ----------------------------------------------------------------
    @property
    def cache_file(self) -> str:
        """Never written; private so the client never reads another server's cache."""
        return os.path.join(self._tmp.name, "discovery.json")

    @property
    def dynamic(self) -> Any:
        """The ``DynamicClient`` (built on first use; discovery is retried on 5xx/429)."""
        with self._lock:
            if self._dynamic is None:
                from kubernetes.dynamic import DynamicClient

                discoverer = _memory_discoverer()
                self._dynamic = with_retries(
                    lambda: DynamicClient(
                        self.api_client, cache_file=self.cache_file, discoverer=discoverer
                    ),
                    what="reading the API's discovery information",
                )
            return self._dynamic

    def resource(self, api_version: str, kind: str, control: Control | None = None) -> Any:
        """The API resource for ``apiVersion``/``kind``, from a per-run memo.

        Raises ``kubernetes.dynamic.exceptions.ResourceNotFoundError`` when the server
        does not serve that kind (yet): a CRD that is not Established, or an API that was
        removed. Discovery is not thread-safe in the client, hence the lock.
        """
        key = (api_version, kind)
        found = self._resources.get(key)  # a dict read is atomic: no lock on the hot path,
        if found is not None:  # so apply workers never queue behind a discovery fetch
            return found
        with self._lock:
            found = self._resources.get(key)
            if found is None:
                dyn = self.dynamic
                # Core kinds ("v1") are looked up under the "api" prefix only: without it
                # the lazy discoverer searches every group's "v1" and downloads the
                # resource list of each of them.
                scope = {"prefix": "api"} if "/" not in api_version else {}
                found = with_retries(
                    lambda: dyn.resources.get(api_version=api_version, kind=kind, **scope),
                    what=f"looking up the API for {kind} ({api_version})",
                    control=control,
                )
                self._resources[key] = found
            return found

    def invalidate_cache(self) -> None:
        """Forget discovery (after new CRDs) so the next lookup sees the new kinds."""
        with self._lock:
            self._resources.clear()
            if self._dynamic is not None:
                with_retries(
                    self._dynamic.resources.invalidate_cache,
                    what="refreshing the API's discovery information",
                )

    def refresh_groups(self, groups: Iterable[str]) -> None:
        """After new CRDs of ``groups`` are Established: learn the new groups and kinds
        without refetching discovery of every group that did not change."""
        changed = set(groups)
        with self._lock:
            for key in [k for k in self._resources if k[0].split("/")[0] in changed]:
                del self._resources[key]
            if self._dynamic is not None:
                resources = self._dynamic.resources
                with_retries(
                    lambda: resources.refresh_groups(changed),
                    what="refreshing the API's discovery information",
                )

    # -- typed APIs ------------------------------------------------------------------
    def typed(self, name: str) -> Any:
        """``kubernetes.client.<name>`` bound to the shared client, made once."""
        with self._lock:
            api = self._typed.get(name)
            if api is None:
                import kubernetes.client

                api = getattr(kubernetes.client, name)(self.api_client)
                self._typed[name] = api
            return api

    @property
    def core(self) -> Any:
        return self.typed("CoreV1Api")

    @property
    def apps(self) -> Any:
        return self.typed("AppsV1Api")

    @property
    def authorization(self) -> Any:
        return self.typed("AuthorizationV1Api")

    @property
    def version(self) -> Any:
        return self.typed("VersionApi")

    def server_version(self) -> dict[str, Any]:
        """``/version`` as a dict (``gitVersion``, ``major``, ``minor``), retried."""
        info = with_retries(self.version.get_code, what="reading the server version")
        return info.to_dict() if hasattr(info, "to_dict") else dict(info)

    def new_api_client(self) -> Any:
        """A second ``ApiClient`` with the same configuration.

        ``kubernetes.stream.portforward`` swaps ``call_api`` on the client it is given
        while it opens a websocket; doing that on the shared client would turn other
        threads' requests into websocket calls. Port-forwarding gets its own client.
        """
        import copy

        from kubernetes.client import ApiClient

        return ApiClient(configuration=copy.copy(self.api_client.configuration))

    def close(self) -> None:
        with self._lock:
            try:
                self.api_client.close()
            finally:
                self._tmp.cleanup()


def _api_client_for_context(kubeconfig: str, context: str | None) -> Any:
    """An ``ApiClient`` for one kubeconfig context (never the process-wide default)."""
    try:
        from kfwizard.gcp.kube_access import api_client_for_context
    except ImportError:  # the gcp package is optional for kubeconfig-only use
        from kubernetes import config

        return config.new_client_from_config(
            config_file=kubeconfig, context=context, persist_config=False
        )
    return api_client_for_context(kubeconfig, context)


def clients_for_session(session: Any, env: Mapping[str, str] | None = None) -> KubeClients:
    """Clients for the cluster the session's ``connect`` step connected to.

    ``connect.source == "kubeconfig"``: the named context of the named kubeconfig file.
    ``connect.source == "gke"``: the cluster's endpoint and CA from the ``cluster``
    output, with a Google access token from the same credentials the GCP steps use (so
    no ``gke-gcloud-auth-plugin`` is needed).
    """
    env = dict(env if env is not None else os.environ)
    connect = session.outputs.get("connect") or {}
    cluster = session.outputs.get("cluster") or {}
    source = connect.get("source") or ("gke" if cluster.get("endpoint") else "kubeconfig")
    if source == "gke":
        endpoint = cluster.get("endpoint")
        if not endpoint:
            raise KubeFailure(
                "The session has no cluster endpoint to connect to.",
                "run the Cluster step again so kfwizard can read the cluster's endpoint",
            )
        from kfwizard.gcp.auth import bearer_token, load_credentials
        from kfwizard.gcp.kube_access import api_client_for_cluster

        token = bearer_token(load_credentials(env))
        api_client = api_client_for_cluster(endpoint, cluster.get("ca_certificate"), token)
        return KubeClients(api_client, label=cluster.get("name") or endpoint)
    kubeconfig = (
        connect.get("kubeconfig") or env.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    )
    kubeconfig = kubeconfig.split(os.pathsep)[0]
    context = connect.get("context") or None
    if not os.path.exists(kubeconfig):
        raise KubeFailure(
            f"The kubeconfig file {kubeconfig} does not exist.",
            "run the Cluster step again, or point KUBECONFIG at your kubeconfig file",
        )
    api_client = _api_client_for_context(kubeconfig, context)
    return KubeClients(api_client, label=context or kubeconfig)
