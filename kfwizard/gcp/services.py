"""Which Google APIs a deployment mode needs, which are on, and turning the rest on.

A disabled API is the most common reason a first GKE install stops (pain point P8), and
the fix (``gcloud services enable``) is easy once named. The wizard lists what is
enabled, enables every missing required API in ONE ``batchEnable`` request (a
long-running operation it follows visibly), then lists again until the APIs show up,
because a newly enabled API can take a while to be reported and to work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kfwizard.gcp.retries import RetryPolicy, call_with_retries, no_library_retry
from kfwizard.wording import duration, plural

BATCH_LIMIT = 20
"""Service Usage accepts at most 20 services per batchEnable request."""

_BASE = (
    "container.googleapis.com",
    "compute.googleapis.com",
    "iam.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "serviceusage.googleapis.com",
    "storage.googleapis.com",
)

# Used only when kfwizard.manifests.modes does not know the mode (pain point P8).
FALLBACK_REQUIRED: dict[str, tuple[str, ...]] = {
    "kfp-standalone": _BASE,
    "kfp-gcp": (*_BASE, "sqladmin.googleapis.com"),
    "kubeflow": (
        *_BASE,
        "iap.googleapis.com",
        "endpoints.googleapis.com",
        "servicemanagement.googleapis.com",
        "meshconfig.googleapis.com",
    ),
}
FALLBACK_OPTIONAL: tuple[str, ...] = ("artifactregistry.googleapis.com", "logging.googleapis.com")


def _from_modes(mode: str) -> tuple[list[str], list[str]] | None:
    """``kfwizard.manifests.modes.SERVICES`` (mode -> Service(api, required, why)), the
    table the catalog's ``services_for_mode`` reads too.

    Only that small module is imported, not the catalog: the first screen lists the
    project step's commands through here, and the catalog's rules cost about 25 ms more.
    """
    try:
        from kfwizard.manifests import modes
    except ImportError:
        return None
    entries = getattr(modes, "SERVICES", {}).get(mode)
    if not entries:
        return None
    required = [e.api for e in entries if getattr(e, "required", True)]
    optional = [e.api for e in entries if not getattr(e, "required", True)]
    return required, optional


def needed_services(mode: str) -> tuple[list[str], list[str]]:
    """``(required, optional)`` API ids for a deployment mode: from the modes table,
    else (a mode it does not know) from the small table here."""
    found = _from_modes(mode)
    if found is not None:
        return found
    required = FALLBACK_REQUIRED.get(mode, FALLBACK_REQUIRED["kfp-standalone"])
    return list(required), list(FALLBACK_OPTIONAL)


@dataclass
class ServicesPlan:
    """What is needed, what is on, and what is missing."""

    required: list[str]
    optional: list[str]
    enabled: set[str] = field(default_factory=set)

    @property
    def missing_required(self) -> list[str]:
        return [s for s in self.required if s not in self.enabled]

    @property
    def missing_optional(self) -> list[str]:
        return [s for s in self.optional if s not in self.enabled]

    @property
    def satisfied(self) -> bool:
        return not self.missing_required


def plan_services(mode: str, enabled: Iterable[str]) -> ServicesPlan:
    required, optional = needed_services(mode)
    return ServicesPlan(required, optional, set(enabled))


def service_id(name: str) -> str:
    """``projects/123/services/x.googleapis.com`` -> ``x.googleapis.com``."""
    return name.rsplit("/", 1)[-1]


def list_enabled(client: Any, project: str) -> set[str]:
    """Every enabled API of ``project`` (all pages)."""
    pager = client.list_services(
        request={"parent": f"projects/{project}", "filter": "state:ENABLED", "page_size": 200},
        retry=None,  # kfwizard retries itself (cancellably); the pager reuses it per page
    )
    return {service_id(s.config.name or s.name) for s in pager}


def enable_command(project: str, services: Iterable[str]) -> str:
    return f"gcloud services enable {' '.join(services)} --project={project}"


def start_enable(client: Any, project: str, services: list[str]) -> Any:
    """One ``batchEnable`` request; returns the ``google.api_core.operation.Operation``."""
    return client.batch_enable_services(
        request={"parent": f"projects/{project}", "service_ids": list(services)}, retry=None
    )


def operation_name(operation: Any) -> str:
    raw = getattr(operation, "operation", None)
    return str(getattr(raw, "name", "") or "")


LOG_EVERY = 10.0
"""Seconds between "still running" lines while an operation is polled."""


def wait_operation(
    operation: Any,
    *,
    sleep: Callable[[float], Any],
    log: Callable[[str], Any],
    timeout: float,
    interval: float,
    clock: Callable[[], float],
    retry: RetryPolicy | None = None,
) -> Any:
    """Poll a Service Usage operation until done; cancellable and bounded.

    ``operation.result()`` would block in the library's own sleep loop, which the user
    could not interrupt; polling ``done()`` between our own ``sleep`` calls keeps every
    wait cancellable and lets each poll be logged.
    Returns the operation's response; raises TimeoutError with the operation name.
    """
    name = operation_name(operation)
    started = clock()
    polls = 0
    delay = interval
    last_said = 0.0  # the caller just logged the operation as started: not again at 0 s
    while True:
        done = call_with_retries(
            lambda: operation.done(retry=no_library_retry()),
            what=f"polling {name}",
            sleep=sleep,
            log=log,
            policy=retry,
        )
        polls += 1
        if done:
            took = duration(clock() - started)
            log(f"operation {name} finished: {plural(polls, 'poll')}, {took}")
            return operation.result(timeout=0)
        elapsed = clock() - started
        if elapsed >= timeout:
            raise TimeoutError(f"operation {name} was still running after {elapsed:.0f}s")
        if elapsed - last_said >= LOG_EVERY:  # a line per poll would bury the rest of the log
            log(f"operation {name} still running ({elapsed:.0f}s)")
            last_said = elapsed
        sleep(delay)
        delay = min(delay * 1.5, max(interval, 10.0))


def confirm_enabled(
    client: Any,
    project: str,
    services: list[str],
    *,
    sleep: Callable[[float], Any],
    log: Callable[[str], Any],
    rounds: int = 5,
    interval: float = 2.0,
    retry: RetryPolicy | None = None,
) -> set[str]:
    """List again (up to ``rounds`` times, backing off) until ``services`` show as enabled.

    Returns the services still not reported as enabled (empty when all are).
    """
    missing = set(services)
    delay = interval
    for round_no in range(1, rounds + 1):
        enabled = call_with_retries(
            lambda: list_enabled(client, project),
            what="listing enabled APIs",
            sleep=sleep,
            log=log,
            policy=retry,
        )
        missing = set(services) - enabled
        if not missing:
            return set()
        if round_no < rounds:
            log(
                f"not reported as enabled yet: {', '.join(sorted(missing))}; "
                f"checking again in {delay:.1f}s ({round_no}/{rounds})"
            )
            sleep(delay)
            delay *= 2
    return missing
