"""Server-side apply of a rendered manifest set, tier by tier, with the waits between.

Why server-side apply with field manager ``kfwizard`` and ``force=True``: the API server
merges our fields and records that we own them, the same as
``kubectl apply --server-side --force-conflicts``. There is no 256 KiB
``last-applied-configuration`` annotation (the Argo CRDs are close to that limit), and a
re-apply is idempotent. ``force`` resolves field conflicts in our favour: when another
manager (a previous ``kubectl apply``, an operator) owns a field we set, we take it over
instead of failing. That is what an installer that is asked to install a version must do;
it also means a hand edit of a field we manage is overwritten on re-apply.

Order: inside a tier, Namespaces and CRDs go first (other objects live in those
namespaces or are instances of those CRDs), then the CRDs must be ``Established``
(watched, not slept on) before anything else is applied. The rest of the tier is applied
by a small thread pool sharing one connection pool. Errors are sorted:
- 429/5xx/dropped connections: retried with backoff (:mod:`kfwizard.kube.retry`);
- "no matches for kind" / 404 on a new kind: a CRD that is not served yet (P1):
  refresh discovery and retry, with a limit and a message that says what is missing;
- ``failed calling webhook "X"``: the webhook's pods are still starting (P2): wait for
  the Deployment behind its Service, retry; name webhook and Service if it stays down;
- anything else (400/403/422...): fail at once with the server's message.
"""

from __future__ import annotations

import datetime
import json
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kfwizard.engine.errors import Cancelled
from kfwizard.kube.client import KubeClients
from kfwizard.kube.control import Control, Quiet
from kfwizard.kube.errors import KubeFailure, WaitTimeout
from kfwizard.kube.objects import (
    CRD_KIND,
    as_dict,
    condition,
    condition_true,
    crd_names,
    is_crd,
    ref_of,
    ref_text,
)
from kfwizard.kube.rest import parse_json
from kfwizard.kube.retry import (
    backoff_delay,
    error_message,
    is_retryable,
    status_of,
    with_retries,
)
from kfwizard.kube.watching import Watcher, WatchSpec
from kfwizard.kube.webhooks import WebhookBackend, find_backend, webhook_name_in
from kfwizard.wording import plural

FIELD_MANAGER = "kfwizard"
CRD_API = "apiextensions.k8s.io/v1"


@dataclass
class ApplyOptions:
    """Knobs with sane defaults; tests shorten the timeouts."""

    workers: int = 8
    crd_timeout: float = 60.0
    """Per tier, like ``kubectl wait --for condition=established --timeout=60s``."""
    kind_timeout: float = 60.0
    """How long a kind may stay unserved (P1) before the apply fails."""
    webhook_timeout: float = 180.0
    attempts: int = 8
    """Tries per object for passing errors (429, 5xx, dropped connections)."""
    ready_timeout: float = 900.0
    """Between tiers: how long the tier's workloads may take to become ready."""
    stuck_after: float | None = 180.0
    """Between tiers: a workload broken this long ends the wait early (with a diagnosis)."""


@dataclass
class TierReport:
    name: str
    refs: list[dict[str, str]] = field(default_factory=list)
    crds: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "applied": len(self.refs),
            "crds": len(self.crds),
            "seconds": round(self.seconds, 3),
        }


@dataclass
class ApplyReport:
    tiers: list[TierReport] = field(default_factory=list)
    seconds: float = 0.0
    copies: list[dict[str, Any]] = field(default_factory=list, repr=False)
    """The server's copy of every applied object, in the order the applies finished."""

    @property
    def applied(self) -> int:
        return sum(len(t.refs) for t in self.tiers)

    @property
    def refs(self) -> list[dict[str, str]]:
        return [r for t in self.tiers for r in t.refs]


class _Muted:
    """Forwards sleep/cancel/log but not progress or details (for nested waits)."""

    def __init__(self, control: Control) -> None:
        self._control = control

    def sleep(self, seconds: float) -> None:
        self._control.sleep(seconds)

    def check_cancel(self) -> None:
        self._control.check_cancel()

    def log(self, *lines: str) -> None:
        self._control.log(*lines)

    def progress(self, done: int, total: int, message: str = "") -> None:
        pass

    def detail(self, key: str, value: Any) -> None:
        pass


def _passing(exc: BaseException) -> bool:
    """Retry blindly only what passes by itself; a webhook error (HTTP 500 too) needs the
    webhook's pods to come up first, which :meth:`Applier._wait_webhook` waits for."""
    return is_retryable(exc) and not webhook_name_in(error_message(exc))


def _json_value(value: Any) -> str:
    """YAML timestamps load as dates; send them as the client would (ISO 8601)."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot send a {type(value).__name__} in a manifest")


def _removed_api_hint(api_version: str, kind: str) -> str:
    if api_version in (
        "apiextensions.k8s.io/v1beta1",
        "certificates.k8s.io/v1beta1",
        "admissionregistration.k8s.io/v1beta1",
        "rbac.authorization.k8s.io/v1beta1",
        "extensions/v1beta1",
        "apps/v1beta1",
        "apps/v1beta2",
    ):
        return (
            f"{kind} in {api_version} was removed in Kubernetes 1.22; these manifests are "
            "too old for this cluster. Choose a newer KFP version."
        )
    return ""


class Applier:
    """Applies objects for one run; remembers resolved kinds and webhooks seen up."""

    def __init__(
        self,
        clients: KubeClients,
        control: Control | None = None,
        options: ApplyOptions | None = None,
    ) -> None:
        self.clients = clients
        self.control = control or Quiet()
        self.options = options or ApplyOptions()
        self._hook_locks: dict[str, threading.Lock] = {}
        self._hook_ready_at: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()

    # -- kinds (P1) --------------------------------------------------------------------
    def resolve(self, api_version: str, kind: str) -> Any:
        """The API resource for a kind, waiting (bounded) while a new CRD settles."""
        from kubernetes.dynamic.exceptions import ResourceNotFoundError

        deadline = time.monotonic() + self.options.kind_timeout
        attempt = 0
        while True:
            try:
                return self.clients.resource(api_version, kind, self.control)
            except ResourceNotFoundError:
                hint = _removed_api_hint(api_version, kind)
                if hint or time.monotonic() >= deadline:
                    raise KubeFailure(
                        hint
                        or f"The cluster does not serve {kind} ({api_version}) after "
                        f"{self.options.kind_timeout:.0f} s: its CustomResourceDefinition is "
                        "missing or not Established.",
                        f"check `kubectl api-resources | grep -i {kind}`; if the CRD is "
                        "missing, the manifests were rendered incompletely",
                    ) from None
                attempt += 1
                if attempt == 1:
                    self.control.log(
                        f"{kind} ({api_version}) is not registered yet; this is "
                        "normal right after its CRD is applied. Waiting…"
                    )
                self.control.sleep(backoff_delay(attempt, 0.1, 2.0))
                self.clients.invalidate_cache()

    # -- one object --------------------------------------------------------------------
    @staticmethod
    def _body(obj: dict[str, Any], namespaced: bool) -> tuple[str, str, str | None]:
        """(the JSON body, name, namespace) to send for ``obj``; ``obj`` is not changed.

        Only ``metadata.namespace`` differs from the manifest, so only the top level and
        ``metadata`` are copied (a deep copy of every CRD was a measurable part of an
        apply). The body goes out as a JSON string: JSON is valid ``apply-patch+yaml``,
        and the kubernetes client sends a string as is instead of walking the whole dict
        in ``sanitize_for_serialization`` before its own ``json.dumps``.
        """
        meta = dict(obj.get("metadata") or {})
        namespace: str | None = None
        if namespaced:
            namespace = meta.get("namespace") or "default"
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        body = {**obj, "metadata": meta}
        return json.dumps(body, separators=(",", ":"), default=_json_value), meta["name"], namespace

    def apply_one(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply one object and return the server's copy."""
        ref = ref_of(obj)
        what = ref_text(ref)
        resource = self.resolve(ref["apiVersion"], ref["kind"])
        body, name, namespace = self._body(obj, resource.namespaced)
        kind_deadline = time.monotonic() + self.options.kind_timeout
        hook_deadline: float | None = None
        attempt = 0
        while True:
            if self._stop.is_set():
                raise Cancelled()
            self.control.check_cancel()

            def call(res: Any = resource) -> dict[str, Any]:
                resp = res.server_side_apply(
                    body=body,
                    name=name,
                    namespace=namespace,
                    field_manager=FIELD_MANAGER,
                    force_conflicts=True,
                    serialize=False,
                )
                data = resp.data
                return parse_json(data) if data else {}

            try:
                return with_retries(
                    call,
                    what=f"applying {what}",
                    control=self.control,
                    attempts=self.options.attempts,
                    retry_if=_passing,
                )
            except (KubeFailure, Cancelled):
                raise
            except Exception as exc:
                status, message = status_of(exc), error_message(exc)
                attempt += 1
                hook = webhook_name_in(message)
                if hook:
                    if hook_deadline is None:
                        hook_deadline = time.monotonic() + self.options.webhook_timeout
                    self._wait_webhook(hook, what, message, hook_deadline)
                    self.control.sleep(backoff_delay(min(attempt, 4), 0.1, 2.0))
                    continue
                if status == 404 and time.monotonic() < kind_deadline:
                    # A kind that was just registered can 404 for a moment, and so can a
                    # namespace that is still being created: refresh and retry.
                    self.control.sleep(backoff_delay(min(attempt, 5), 0.1, 2.0))
                    self.clients.invalidate_cache()
                    resource = self.resolve(ref["apiVersion"], ref["kind"])
                    continue
                raise self._refusal(what, ref, status, message) from exc

    def _refusal(
        self, what: str, ref: dict[str, str], status: int | None, message: str
    ) -> KubeFailure:
        if status == 403:
            return KubeFailure(
                f"You are not allowed to apply {what}: {message}",
                "ask a cluster admin to bind you to cluster-admin, e.g. `kubectl create "
                "clusterrolebinding kfwizard-admin --clusterrole=cluster-admin "
                "--user=YOUR_ACCOUNT`, then resume",
            )
        if status == 404:
            return KubeFailure(
                f"The cluster has no place for {what}: {message}",
                "if a namespace is missing, apply the cluster-scoped resources first; then resume",
            )
        return KubeFailure(
            f"The Kubernetes API refused {what} (HTTP {status}): {message}",
            "this usually means the manifests do not fit this Kubernetes version; pick a "
            "version that supports it, or fix the manifest and resume",
        )

    # -- webhooks (P2) -----------------------------------------------------------------
    def _wait_webhook(self, hook: str, what: str, message: str, deadline: float) -> None:
        with self._lock:
            lock = self._hook_locks.setdefault(hook, threading.Lock())
        with lock:
            if time.monotonic() - self._hook_ready_at.get(hook, -1e9) < 1.0:
                return  # another thread just waited for it
            backend = find_backend(self.clients, hook, self.control)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._webhook_failure(hook, backend, what, message)
            self.control.log(
                f"The admission webhook {hook} is not answering yet; this is normal while "
                f"{backend.service_text()} starts. Waiting up to {remaining:.0f} s…"
            )
            if backend.workloads:
                from kfwizard.kube.wait import wait_workloads

                try:
                    wait_workloads(
                        self.clients,
                        backend.workloads,
                        timeout=remaining,
                        control=_Muted(self.control),
                        watch_pods=False,
                        stuck_after=None,
                        detail_key="webhook",
                    )
                except WaitTimeout:
                    raise self._webhook_failure(hook, backend, what, message) from None
            else:
                self.control.sleep(min(2.0, remaining))
            self._hook_ready_at[hook] = time.monotonic()

    @staticmethod
    def _webhook_failure(
        hook: str, backend: WebhookBackend, what: str, message: str
    ) -> KubeFailure:
        behind = (
            ", ".join(f"{w['kind']} {w['namespace']}/{w['name']}" for w in backend.workloads)
            or "no Deployment found behind it"
        )
        ns = backend.service_namespace or "NAMESPACE"
        return KubeFailure(
            f"The admission webhook {hook} ({backend.service_text()}) does not answer, so "
            f"{what} cannot be applied.",
            f"check the webhook's pods (`kubectl get pods -n {ns}`, "
            f"`kubectl describe deploy -n {ns}`); on a private GKE cluster, allow the control "
            "plane to reach the webhook port (a firewall rule), then resume",
            details=(
                f"webhook: {hook}",
                f"configuration: {backend.configuration or '?'}",
                f"service: {backend.service_text()}",
                f"serving workloads: {behind}",
                f"last error: {message}",
            ),
        )

    # -- many objects ------------------------------------------------------------------
    def apply_many(
        self,
        objects: Sequence[dict[str, Any]],
        on_applied: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Apply ``objects`` with a few worker threads; results in input order.

        ``on_applied(obj, server_copy)`` runs in the calling thread, once per object, as
        each finishes (for progress and the inventory). A failure stops the remaining
        objects and is raised after the running ones finish.

        Why workers that take the next object themselves rather than one future per
        object: the workers hold the GIL most of the time (encoding bodies, parsing
        answers), and a calling thread that must win it back for every submit and for
        every ``futures.wait`` over all pending futures spent about 60 ms of a 270 ms
        KFP apply doing so. Here it wakes once per finished object.
        """
        if not objects:
            return []
        for api_version, kind in dict.fromkeys(
            (o.get("apiVersion", ""), o.get("kind", "")) for o in objects
        ):
            self.resolve(api_version, kind)  # serially: discovery is not thread-safe
        finished: queue.Queue[tuple[int, dict[str, Any], BaseException | None]] = queue.Queue()
        threads = self._start_workers(objects, finished)
        results: list[dict[str, Any]] = [{} for _ in objects]
        failure: BaseException | None = None
        received = 0
        try:
            while received < len(objects):
                if failure is None:
                    try:
                        self.control.check_cancel()
                    except Cancelled as exc:
                        failure = exc
                        self._stop.set()
                try:
                    index, server, error = finished.get(timeout=0.1)
                except queue.Empty:
                    stopped = failure is not None and not any(t.is_alive() for t in threads)
                    if stopped and finished.empty():
                        break  # every worker has ended: nothing more will come
                    continue
                received += 1
                if error is not None:
                    if failure is None:
                        failure = error
                        self._stop.set()
                    continue
                results[index] = server
                if failure is None and on_applied is not None:
                    on_applied(objects[index], server)
        finally:
            self._stop.set()  # also when on_applied raised: let the workers end
            for thread in threads:
                thread.join()
            self._stop.clear()
        if failure is not None:
            raise failure
        return results

    def _start_workers(
        self,
        objects: Sequence[dict[str, Any]],
        finished: queue.Queue[tuple[int, dict[str, Any], BaseException | None]],
    ) -> list[threading.Thread]:
        """Threads that apply the next object not yet taken until none is left, or until
        ``_stop``; each result (or error) goes to ``finished`` with its index."""
        order = iter(range(len(objects)))
        take = threading.Lock()

        def work() -> None:
            while not self._stop.is_set():
                with take:
                    index = next(order, None)
                if index is None:
                    return
                try:
                    finished.put((index, self.apply_one(objects[index]), None))
                except BaseException as exc:
                    finished.put((index, {}, exc))
                    return

        count = max(1, min(self.options.workers, len(objects)))
        threads = [
            threading.Thread(target=work, name=f"kfw-apply-{n}", daemon=True) for n in range(count)
        ]
        for thread in threads:
            thread.start()
        return threads

    # -- CRDs --------------------------------------------------------------------------
    def wait_established(
        self,
        names: Iterable[str],
        *,
        known: dict[str, dict[str, Any]] | None = None,
        timeout: float | None = None,
    ) -> int:
        """Wait (watching) until every named CRD is Established; returns requests made.

        ``known``: the server's copies from the apply. Those that already say Established
        are not waited for; when all do, no request is made at all. Only the CRDs still
        pending are waited for, and a single one is listed and watched by name.
        """
        wanted = list(dict.fromkeys(names))
        known = known or {}
        pending = [n for n in wanted if not condition_true(known.get(n) or {}, "Established")]
        if not pending:
            if wanted:
                self._refresh_discovery(wanted)
            return 0
        timeout = self.options.crd_timeout if timeout is None else timeout
        watcher = Watcher(self.clients, [_crd_watch(pending)], self.control)
        try:
            watcher.wait(
                lambda state: _established(state, pending),
                timeout=timeout,
                what=f"{len(pending)} CRDs to be Established",
                action="check `kubectl get crd` and the API server's health, then resume",
            )
        except WaitTimeout as exc:
            crds = watcher.state.get(CRD_KIND, {})
            late = [
                n for n in pending if not condition_true(crds.get(("", n)) or {}, "Established")
            ]
            exc.cause = (
                f"These CRDs were not Established within {timeout:.0f} s: "
                f"{', '.join(late[:6])}{' …' if len(late) > 6 else ''}."
            )
            exc.args = (exc.cause,)
            raise
        self._refresh_discovery(wanted)
        return watcher.lists + watcher.watches

    def _refresh_discovery(self, crds: list[str]) -> None:
        """Make the new kinds resolvable: refresh discovery of the CRDs' groups only (a
        CRD is named ``<plural>.<group>``), not of every group the run has used."""
        self.clients.refresh_groups({name.split(".", 1)[-1] for name in crds})


def _crd_watch(names: list[str]) -> WatchSpec:
    """All CRDs, or the one named: a field selector takes a single name, not a list."""
    if len(names) == 1:
        return WatchSpec(CRD_API, CRD_KIND, field_selector=f"metadata.name={names[0]}")
    return WatchSpec(CRD_API, CRD_KIND)


def _established(state: dict[str, dict[tuple[str, str], dict[str, Any]]], names: list[str]) -> bool:
    """True when every named CRD is Established; a CRD whose names clash fails at once."""
    crds = state.get(CRD_KIND, {})
    for name in names:
        rejected = condition(crds.get(("", name)) or {}, "NamesAccepted")
        if rejected and str(rejected.get("status")) == "False":
            raise KubeFailure(
                f"The CRD {name} was not accepted: {rejected.get('message') or ''}",
                "another CRD already uses these names; remove the conflicting CRD "
                "or choose another version, then resume",
            )
    return all(condition_true(crds.get(("", n)) or {}, "Established") for n in names)


@dataclass
class TierSpec:
    """What the applier needs of a tier: objects, then what to wait for after it."""

    name: str
    objects: list[dict[str, Any]]
    wait_crds: list[str] = field(default_factory=list)
    wait_ready: list[dict[str, str]] = field(default_factory=list)
    """Workloads that must be ready before the next tier (full platform)."""
    webhook_services: list[tuple[str, str]] = field(default_factory=list)
    """(namespace, service) of the tier's admission webhooks: their backends too."""


def _ref_dict(ref: Any) -> dict[str, str]:
    return dict(ref.as_dict() if hasattr(ref, "as_dict") else ref)


def tier_spec(tier: Any) -> TierSpec:
    """A :class:`TierSpec` from a ``manifests.Tier``, a dict, or a ``(name, objects)`` pair."""
    if isinstance(tier, TierSpec):
        return tier
    if isinstance(tier, tuple):
        name, objs = tier
        objs = [as_dict(o) for o in objs]
        return TierSpec(str(name), objs, crd_names(objs))
    get = (
        tier.get
        if isinstance(tier, dict)
        else (lambda key, default=None: getattr(tier, key, default))
    )
    objs = [as_dict(o) for o in get("objects") or []]
    hooks = []
    for hook in get("webhooks") or []:
        ns = getattr(hook, "service_namespace", None) or (
            hook.get("service_namespace") if isinstance(hook, dict) else None
        )
        svc = getattr(hook, "service_name", None) or (
            hook.get("service_name") if isinstance(hook, dict) else None
        )
        if ns and svc and (ns, svc) not in hooks:
            hooks.append((str(ns), str(svc)))
    return TierSpec(
        str(get("name", "tier")),
        objs,
        list(get("wait_crds") or []) or crd_names(objs),
        [_ref_dict(r) for r in get("wait_ready") or []],
        hooks,
    )


class _GateControl(_Muted):
    """During a between-tiers wait: keep the live table, keep the apply progress bar."""

    def __init__(self, control: Control, done: int, total: int, tier: str) -> None:
        super().__init__(control)
        self._done, self._total, self._tier = done, total, tier

    def progress(self, done: int, total: int, message: str = "") -> None:
        self._control.progress(self._done, self._total, f"tier {self._tier}: {message}")

    def detail(self, key: str, value: Any) -> None:
        self._control.detail(key, value)


def _gate(
    applier: Applier, spec: TierSpec, critical: set[str] | None, done: int, total: int
) -> None:
    """Wait until the tier's workloads (and its webhooks' backends) are ready."""
    from kfwizard.kube.wait import wait_workloads
    from kfwizard.kube.webhooks import workloads_behind_service

    control = applier.control
    refs = list(spec.wait_ready)
    must: set[str] | None = None
    if critical is not None:
        must = {
            f"{r.get('namespace', '')}/{r['name']}"
            for r in refs
            if r["name"] in critical or f"{r.get('namespace', '')}/{r['name']}" in critical
        }
    for ns, svc in spec.webhook_services:
        for ref in workloads_behind_service(applier.clients, ns, svc, control):
            key = f"{ref['namespace']}/{ref['name']}"
            if must is not None:
                must.add(key)
            if not any(f"{r.get('namespace', '')}/{r['name']}" == key for r in refs):
                refs.append(ref)
    if not refs:
        return
    control.log(f"Waiting for {len(refs)} workloads of tier {spec.name} before the next tier…")
    result = wait_workloads(
        applier.clients,
        refs,
        critical=must,
        timeout=applier.options.ready_timeout,
        control=_GateControl(control, done, total, spec.name),
        stuck_after=applier.options.stuck_after,
        warn_grace=10.0,
    )
    if result.stuck:
        raise WaitTimeout(
            f"Tier {spec.name} is stuck: {result.stuck[0]}.",
            "see the diagnosis below, fix it, then resume",
            tuple(result.stuck),
            state=result,
        )


def apply_objects(
    clients: KubeClients,
    objects: Iterable[Any],
    *,
    control: Control | None = None,
    options: ApplyOptions | None = None,
    on_applied: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Apply one group of objects outside any engine (a benchmark hook, scripts).

    Namespaces and CRDs first, wait for the CRDs, then the rest in parallel; returns the
    server's copies in the order the applies finished.
    """
    report = apply_tiers(
        clients,
        [("objects", list(objects))],
        control=control,
        options=options,
        on_applied=on_applied,
    )
    return report.copies


def apply_tiers(
    clients: KubeClients,
    tiers: Iterable[Any],
    *,
    control: Control | None = None,
    options: ApplyOptions | None = None,
    on_applied: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
    on_tier_done: Callable[[TierReport], None] | None = None,
    start_at: int = 0,
    critical: Iterable[str] | None = None,
) -> ApplyReport:
    """Apply tier after tier; progress is counted over all tiers.

    ``on_applied`` runs after each object (record it in the inventory); ``on_tier_done``
    after each tier (save the session). ``start_at`` skips the first tiers (resume).
    Between tiers, the tier's ``wait_ready`` workloads and its webhooks' backends must be
    ready; ``critical`` (names or ``namespace/name``) narrows which of them are fatal.
    """
    control = control or Quiet()
    applier = Applier(clients, control, options)
    specs = [tier_spec(t) for t in tiers]
    critical_set = set(critical) if critical is not None else None
    total = sum(len(spec.objects) for spec in specs[start_at:])
    done = 0
    report = ApplyReport()
    copies = report.copies
    started = time.monotonic()
    for number, spec in enumerate(specs):
        if number < start_at:
            continue
        tier_started = time.monotonic()
        tier = TierReport(spec.name, crds=list(spec.wait_crds))
        control.log(
            f"Tier {number + 1}/{len(specs)}: {spec.name} ({plural(len(spec.objects), 'object')})"
        )
        first = [o for o in spec.objects if o.get("kind") == "Namespace" or is_crd(o)]
        rest = [o for o in spec.objects if not (o.get("kind") == "Namespace" or is_crd(o))]
        known: dict[str, dict[str, Any]] = {}

        def record(
            obj: dict[str, Any],
            server: dict[str, Any],
            tier: TierReport = tier,
            known: dict[str, dict[str, Any]] = known,
        ) -> None:
            nonlocal done
            done += 1
            ref = ref_of(obj)
            if not applier.resolve(ref["apiVersion"], ref["kind"]).namespaced:
                ref["namespace"] = ""
            tier.refs.append(ref)
            copies.append(server)
            if is_crd(obj):
                known[ref["name"]] = server
            control.progress(done, total, f"applied {done}/{total}  {ref_text(ref)}")
            if on_applied is not None:
                on_applied(obj, server)

        applier.apply_many([o for o in first if o.get("kind") == "Namespace"], record)
        applier.apply_many([o for o in first if is_crd(o)], record)
        if spec.wait_crds:
            control.log(f"Waiting for {len(spec.wait_crds)} CRDs to be Established…")
            applier.wait_established(spec.wait_crds, known=known)
        applier.apply_many(rest, record)
        if number < len(specs) - 1 and (spec.wait_ready or spec.webhook_services):
            _gate(applier, spec, critical_set, done, total)
        tier.seconds = time.monotonic() - tier_started
        report.tiers.append(tier)
        if on_tier_done is not None:
            on_tier_done(tier)
    report.seconds = time.monotonic() - started
    return report


def applied_check(
    clients: KubeClients, refs: Sequence[dict[str, str]], control: Control | None = None
) -> list[str]:
    """What is missing or not ours among ``refs`` (empty when all are in place).

    Used by ``ApplyStep.check``: an object counts when it exists and ``kfwizard`` is
    one of its field managers.
    """
    from kfwizard.kube.rest import get_ref

    problems: list[str] = []
    for ref in refs:
        try:
            obj = get_ref(clients, ref, control=control)
        except Exception as exc:
            problems.append(f"{ref_text(ref)}: {type(exc).__name__}")
            continue
        if obj is None:
            problems.append(f"{ref_text(ref)}: missing")
            continue
        managers = {
            m.get("manager") for m in (obj.get("metadata") or {}).get("managedFields") or []
        }
        if managers and FIELD_MANAGER not in managers:
            problems.append(f"{ref_text(ref)}: not applied by kfwizard")
    return problems
