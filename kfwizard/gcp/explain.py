"""Google Cloud errors in plain words: what happened, and what to do next.

The raw errors (``PERMISSION_DENIED: Kubernetes Engine API has not been used in
project 123...``, ``Insufficient regional quota to satisfy request: resource "CPUS"``)
are where most first installs stop (install-pain-points P8, P9). Each known shape gets
a sentence naming the cause and one next action with the exact command, role or page;
anything unknown still gets the server's own message and what the wizard was doing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kfwizard.engine.errors import StepFailed
from kfwizard.gcp import locations, machine_types
from kfwizard.gcp.retries import cause_of, http_status, is_transient

API_NAMES: dict[str, str] = {
    "container.googleapis.com": "Kubernetes Engine API",
    "compute.googleapis.com": "Compute Engine API",
    "iam.googleapis.com": "Identity and Access Management (IAM) API",
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
    "serviceusage.googleapis.com": "Service Usage API",
    "storage.googleapis.com": "Cloud Storage API",
    "storage-api.googleapis.com": "Cloud Storage JSON API",
    "sqladmin.googleapis.com": "Cloud SQL Admin API",
    "iap.googleapis.com": "Identity-Aware Proxy API",
    "endpoints.googleapis.com": "Cloud Endpoints",
    "servicemanagement.googleapis.com": "Service Management API",
    "meshconfig.googleapis.com": "Mesh Configuration API",
    "artifactregistry.googleapis.com": "Artifact Registry API",
    "logging.googleapis.com": "Cloud Logging API",
}

ENABLE_LABEL = "Enable what is missing"
"""The Project screen's name for ``services: enable``."""

CHOOSE_ENABLE = f'choose "{ENABLE_LABEL}" (services: enable)'
"""Advice to let the wizard enable APIs, read on the screen and in a headless run alike:
the option as the screen shows it, then the answers file's key, as the cluster step's
messages say "choose Existing GKE (cluster.source: existing)". ``services: enable``
alone is answers-file vocabulary the Project screen never shows."""

DURING: dict[str, str] = {
    "services.list": "listing the enabled APIs",
    "services.enable": "enabling APIs",
    "cluster.server_config": "reading the GKE versions available",
    "cluster.list": "listing clusters",
    "cluster.get": "reading the cluster",
    "cluster.create": "creating the cluster",
    "cluster.operation": "following the cluster operation",
    "cluster.delete": "deleting the cluster",
}

STOCKOUT_RE = re.compile(
    r"does not have enough resources available|not enough resources available|"
    r"ZONE_RESOURCE_POOL_EXHAUSTED|resource pool exhausted|stockout",
    re.IGNORECASE,
)
CPU_QUOTA_RE = re.compile(
    r"quota\W+'?\"?CPUS|\"CPUS\"|CPUS_ALL_REGIONS|CPUS.{0,40}quota|quota.{0,40}\bCPUS\b",
    re.IGNORECASE,
)
QUOTA_RE = re.compile(r"quota|QUOTA_EXCEEDED|RESOURCE_EXHAUSTED", re.IGNORECASE)
SERVICE_DISABLED_RE = re.compile(
    r"(?:([\w .()-]+?) API )?has not been used in project \S+ before or it is disabled"
    r"|SERVICE_DISABLED|accessNotConfigured",
    re.IGNORECASE,
)
SERVICE_NAME_RE = re.compile(r"\b([a-z0-9-]+\.googleapis\.com)\b")
LOCATION_RE = re.compile(
    r"invalid (?:location|zone|region)|location \S+ (?:is )?not (?:found|valid|supported)|"
    r"(?:location|zone|region) \S+ does not exist|unknown (?:zone|location|region)|"
    r"zone \S+ is invalid",
    re.IGNORECASE,
)
MACHINE_TYPE_RE = re.compile(r"machine type \S+ does not exist|invalid machine type", re.IGNORECASE)


@dataclass(frozen=True)
class Facts:
    """What the wizard was working with, so the explanation can use real names."""

    project: str | None = None
    location: str | None = None
    cluster: str | None = None
    machine_type: str | None = None
    nodes: int | None = None
    account: str | None = None
    """The signed-in account, when known: a grant command can name it."""
    stocked_out: tuple[str, ...] = ()
    """Zones where this session's creates already ran out of capacity: advice to try
    another zone must not send the user back to one of them."""


def iam_member(account: str | None) -> str:
    """``--member`` for a grant to ``account``: a service account or a user, or a
    placeholder when the account is not known."""
    if not account or "@" not in account:
        return "user:YOUR_EMAIL"
    kind = "serviceAccount" if account.endswith(".gserviceaccount.com") else "user"
    return f"{kind}:{account}"


def quota_page(project: str | None) -> str:
    base = "https://console.cloud.google.com/iam-admin/quotas"
    return f"{base}?project={project}" if project else base


def api_display(service: str) -> str:
    name = API_NAMES.get(service)
    return f"{name} ({service})" if name else service


# -- classification helpers --------------------------------------------------------------
def _message(exc: BaseException) -> str:
    return str(getattr(exc, "message", None) or exc)


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "reason", None) or "")


def _metadata(exc: BaseException) -> dict[str, str]:
    data = getattr(exc, "metadata", None)
    try:
        return {str(k): str(v) for k, v in dict(data or {}).items()}
    except (TypeError, ValueError):  # not a mapping (a proto map converts fine)
        return {}


def disabled_service(exc_or_text: BaseException | str) -> str | None:
    """The API (``x.googleapis.com``) an error says is disabled, or None.

    Reads the structured ``ErrorInfo`` (reason SERVICE_DISABLED, metadata ``service``)
    first and falls back to the message text older errors carry.
    """
    if isinstance(exc_or_text, BaseException):
        if _reason(exc_or_text) == "SERVICE_DISABLED":
            service = _metadata(exc_or_text).get("service")
            if service:
                return service
        text = _message(exc_or_text)
    else:
        text = exc_or_text
    if not SERVICE_DISABLED_RE.search(text):
        return None
    match = SERVICE_NAME_RE.search(text)
    if match:
        return match.group(1)
    named = SERVICE_DISABLED_RE.search(text)
    label = named.group(1) if named and named.group(1) else None
    if label:
        for service, display in API_NAMES.items():
            if display.lower().startswith(label.strip().lower()):
                return service
    return "an API"


def _number(pattern: str, text: str) -> float | None:
    match = re.search(pattern, text, re.IGNORECASE)
    if not match:
        return None
    try:
        return float(match.group(1))
    except ValueError:
        return None


def _fmt(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class QuotaNumbers:
    requested: float | None = None
    short: float | None = None
    limit: float | None = None
    available: float | None = None
    region: str | None = None


def parse_quota(text: str) -> QuotaNumbers:
    """Numbers from the different quota messages GKE and Compute Engine produce."""
    num = r"'?\"?(\d+(?:\.\d+)?)'?\"?"
    region = re.search(r"\bin region ([a-z]+-[a-z]+\d+)", text) or re.search(
        r"\bregion[:= '\"]+([a-z]+-[a-z]+\d+)", text
    )
    return QuotaNumbers(
        requested=_number(r"requires " + num, text) or _number(r"request(?:ed)?[:= ]+" + num, text),
        short=_number(r"is short (?:by )?" + num, text),
        limit=_number(r"quota of " + num, text) or _number(r"limit[:= ]+" + num, text),
        available=_number(num + r" available", text) or _number(r"available[:= ]+" + num, text),
        region=region.group(1) if region else None,
    )


def smaller_machine_type(machine_type: str | None) -> str | None:
    """The next smaller known shape of the same family and kind (n1-standard-4 -> -2)."""
    current = machine_types.get_machine_type(machine_type or "")
    if current is None:
        return None
    prefix = current.name.rsplit("-", 1)[0]
    smaller = [
        m
        for m in machine_types.MACHINE_TYPES.values()
        if m.name.rsplit("-", 1)[0] == prefix and m.vcpus < current.vcpus
    ]
    return max(smaller, key=lambda m: m.vcpus).name if smaller else None


ZONE_IN_TEXT_RE = re.compile(r"zones/([a-z]+-[a-z]+\d+-[a-z])\b")
"""A zone named in a GCE message (``projects/P/zones/us-central1-b``)."""


def other_zones(location: str | None, skip: tuple[str, ...] = (), text: str = "") -> list[str]:
    """The location's region's zones to try instead: not the location itself, not one
    in ``skip`` (zones that failed before), and not one the error message names (a
    regional cluster's stockout names the zone that ran out)."""
    if not location:
        return []
    region = locations.region_of(location)
    failed = {location, *skip, *ZONE_IN_TEXT_RE.findall(text)}
    return [z for z in locations.zones_in(region) if z not in failed]


# -- specific explanations -------------------------------------------------------------------
def service_disabled_failure(service: str, facts: Facts, *, can_enable: bool = True) -> StepFailed:
    project = facts.project or "your project"
    cause = f"The {api_display(service)} is not enabled in project {project}."
    if can_enable:
        action = (
            f"{CHOOSE_ENABLE} to let the wizard enable it, or run "
            f'"gcloud services enable {service} --project={project}"; '
            "a newly enabled API can take a few minutes to work"
        )
    else:
        action = f'run "gcloud services enable {service} --project={project}", then resume'
    return StepFailed(cause, action)


def stockout_failure(text: str, facts: Facts) -> StepFailed:
    where = facts.location or "this zone"
    machine = facts.machine_type or "the chosen machine type"
    cause = f"Google Cloud has no capacity for {machine} in {where} right now (a zone stockout)."
    zones = other_zones(facts.location, facts.stocked_out, text)
    smaller = smaller_machine_type(facts.machine_type)
    options = []
    if zones:
        options.append(f"another zone in the region ({', '.join(zones)})")
    options.append(f"a smaller machine type{f' such as {smaller}' if smaller else ''}")
    action = "try " + " or ".join(options) + ", then resume; stockouts usually pass within hours"
    return StepFailed(cause, action, details=(text,))


def cpu_quota_failure(text: str, facts: Facts) -> StepFailed:
    numbers = parse_quota(text)
    region = numbers.region or (locations.region_of(facts.location) if facts.location else None)
    machine = machine_types.get_machine_type(facts.machine_type or "")
    need = numbers.requested
    if need is None and machine is not None and facts.nodes:
        need = machine.vcpus * facts.nodes
    parts = [
        f"The project's CPU quota{f' in {region}' if region else ''} is too small for this cluster"
    ]
    facts_text = []
    if need is not None:
        shape = f" ({facts.nodes} x {machine.name})" if machine is not None and facts.nodes else ""
        facts_text.append(f"it needs {_fmt(need)} vCPUs{shape}")
    if numbers.limit is not None:
        facts_text.append(f"the quota is {_fmt(numbers.limit)}")
    if numbers.available is not None:
        facts_text.append(f"{_fmt(numbers.available)} available")
    if numbers.short is not None:
        facts_text.append(f"short by {_fmt(numbers.short)}")
    cause = parts[0] + (": " + ", ".join(facts_text) if facts_text else "") + "."
    smaller = smaller_machine_type(facts.machine_type)
    action = (
        f"use a smaller machine type{f' such as {smaller}' if smaller else ''}, fewer nodes, or "
        f"another region; or request more CPU quota at {quota_page(facts.project)}"
    )
    return StepFailed(cause, action, details=(text,))


def _permission_failure(during: str, text: str, facts: Facts) -> StepFailed:
    project = facts.project or "the project"
    if during == "services.list":
        # Google answers 403 both for a project that does not exist and for one the
        # account cannot see, so the wizard names both.
        return StepFailed(
            f"Project {project} does not exist, or your account cannot see it.",
            'check the project id ("gcloud projects list" shows the ones you can use) and the '
            'account you are logged in with ("gcloud auth list"), then resume',
            details=(text,),
        )
    if during == "services.enable":
        return StepFailed(
            f"Your account may not enable APIs in {project}: it lacks the permission "
            "serviceusage.services.enable.",
            "ask a project owner to grant you roles/serviceusage.serviceUsageAdmin "
            f'("gcloud projects add-iam-policy-binding {project} '
            f"--member={iam_member(facts.account)} "
            '--role=roles/serviceusage.serviceUsageAdmin"), or to enable the APIs for you; '
            "then resume",
            details=(text,),
        )
    if during == "cluster.create":
        return StepFailed(
            f"Your account may not create GKE clusters in {project}: it lacks the permission "
            "container.clusters.create.",
            "ask a project owner to grant you roles/container.admin (Kubernetes Engine Admin) "
            f"on {project}, or pick an existing cluster; then resume",
            details=(text,),
        )
    return StepFailed(
        f"Google Cloud denied access while {DURING.get(during, during)} in {project}: {text}",
        'check that you are logged in with the right account ("gcloud auth list") and that it '
        f"has a role on {project} such as roles/container.admin; then resume",
    )


def _location_failure(text: str, facts: Facts) -> StepFailed:
    location = facts.location or "the location"
    close = locations.suggest(location) if facts.location else []
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return StepFailed(
        f"Google Cloud does not accept {location!s} as a location{hint}.",
        "pick a zone such as us-central1-a or a region such as us-central1 "
        '("gcloud compute zones list"), then resume',
        details=(text,),
    )


def not_found_failure(during: str, text: str, facts: Facts) -> StepFailed:
    if during.startswith("cluster") and facts.cluster:
        return StepFailed(
            f"Cluster {facts.cluster} was not found in project {facts.project} "
            f"at {facts.location}.",
            "check the name and location with "
            f'"gcloud container clusters list --project={facts.project}", or choose to create '
            "a new cluster",
            details=(text,),
        )
    return StepFailed(
        f"Google Cloud found nothing while {DURING.get(during, during)}: {text}",
        f"check the project id {facts.project} and that it still exists "
        '("gcloud projects describe")',
    )


def _api_of(during: str) -> str:
    """The API a ``during`` key talks to, named the way the console names it."""
    if during.startswith("cluster."):
        return "The GKE API (container.googleapis.com)"
    if during.startswith("services."):
        return f"The {api_display('serviceusage.googleapis.com')}"
    return "Google Cloud"


def transient_failure(exc: BaseException, during: str) -> StepFailed:
    """An API that kept answering "try again later" (or not at all) past every retry:
    name the API, the answer and what kfwizard was doing, so it is not a mystery."""
    status = http_status(exc)
    doing = DURING.get(during, during)
    if status:
        said = f"kept answering HTTP {status} ({type(exc).__name__})"
    else:
        said = f"did not answer ({type(exc).__name__})"
    return StepFailed(
        f"{_api_of(during)} {said} while {doing}, even after several retries. "
        "This is usually temporary.",
        "wait a few minutes and resume; nothing was lost (if it lasts, check "
        "https://status.cloud.google.com)",
        details=(_message(exc),),
    )


# -- entry points ---------------------------------------------------------------------------------
def is_capacity_error(exc: BaseException) -> bool:
    """A stockout or quota error: never worth retrying at once, whatever its status."""
    text = _message(exc)
    return bool(STOCKOUT_RE.search(text) or CPU_QUOTA_RE.search(text))


def explain_text(text: str, during: str, facts: Facts) -> StepFailed | None:
    """A plain explanation for an error *message* (e.g. a failed operation), if known."""
    service = disabled_service(text)
    if service:
        return service_disabled_failure(service, facts)
    if STOCKOUT_RE.search(text):
        return stockout_failure(text, facts)
    if CPU_QUOTA_RE.search(text):
        return cpu_quota_failure(text, facts)
    if QUOTA_RE.search(text):
        return StepFailed(
            f"A Google Cloud quota is too small for this cluster: {text}",
            f"free or request quota at {quota_page(facts.project)}, or pick fewer or smaller "
            "nodes, then resume",
        )
    if LOCATION_RE.search(text):
        return _location_failure(text, facts)
    return None


def explain_operation_error(text: str, facts: Facts) -> StepFailed:
    """A cluster operation that ended with an error message."""
    known = explain_text(text, "cluster.operation", facts)
    if known is not None:
        return known
    return StepFailed(
        f"GKE could not create cluster {facts.cluster or ''}: {text}".replace("  ", " "),
        "read the message above; fix the cause, delete the failed cluster "
        f'("gcloud container clusters delete {facts.cluster} --location={facts.location}") '
        "if GKE left one in ERROR state, then resume",
    )


def explain_api_error(exc: BaseException, during: str, facts: Facts | None = None) -> StepFailed:
    """Any error from a Google client call, as a :class:`StepFailed`.

    A client library ``RetryError`` is explained by the error behind it: "retries
    exhausted" says nothing a user can act on.
    """
    facts = facts or Facts()
    exc = cause_of(exc)
    text = _message(exc)
    service = disabled_service(exc)
    if service:
        return service_disabled_failure(service, facts, can_enable=during != "services.enable")
    status = http_status(exc)
    if STOCKOUT_RE.search(text):
        return stockout_failure(text, facts)
    if CPU_QUOTA_RE.search(text):
        return cpu_quota_failure(text, facts)
    if is_transient(exc):
        return transient_failure(exc, during)
    if status == 401:
        return StepFailed(
            "Google Cloud did not accept your credentials (they may have expired).",
            'run "gcloud auth application-default login", then resume',
        )
    if _reason(exc) == "SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED":
        services = _metadata(exc).get("services") or "an API"
        return StepFailed(
            f"Google Cloud does not know the API {services}, or your account may not see it.",
            "check the API name; if it is right, ask a project owner to enable it, then resume",
            details=(text,),
        )
    if status == 403:
        known = explain_text(text, during, facts)
        return known or _permission_failure(during, text, facts)
    if status in (400, 404) and LOCATION_RE.search(text):
        return _location_failure(text, facts)
    if status in (400, 404) and MACHINE_TYPE_RE.search(text):
        return StepFailed(
            f"GKE does not offer machine type {facts.machine_type or ''} in "
            f"{facts.location or 'this location'}.".replace("  ", " "),
            "pick a machine type such as e2-standard-4 or n1-standard-2 "
            f'("gcloud compute machine-types list --zones={facts.location or "ZONE"}"), '
            "then resume",
            details=(text,),
        )
    if status == 404:
        return not_found_failure(during, text, facts)
    known = explain_text(text, during, facts)
    if known is not None:
        return known
    what = f"HTTP {status}" if status else type(exc).__name__
    return StepFailed(
        f"Google Cloud refused the request while {DURING.get(during, during)} ({what}): {text}",
        "read the message; fix what it names, then resume",
    )
