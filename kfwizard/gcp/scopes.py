"""Node OAuth scope aliases, as ``gcloud container clusters create --scopes`` accepts them.

The GKE API only takes full scope URLs; people (and the 2021 recipe the wizard follows)
type gcloud's short names such as ``compute-rw,gke-default,storage-rw``. Keeping the
same table lets the wizard accept what users already know and show the equivalent
gcloud command, while sending the API exactly what gcloud would send.
"""

from __future__ import annotations

from collections.abc import Iterable

_AUTH = "https://www.googleapis.com/auth/"

_STORAGE_RO = _AUTH + "devstorage.read_only"
_LOGGING_WRITE = _AUTH + "logging.write"
_MONITORING = _AUTH + "monitoring"
_MONITORING_WRITE = _AUTH + "monitoring.write"
_SERVICE_CONTROL = _AUTH + "servicecontrol"
_SERVICE_MANAGEMENT_RO = _AUTH + "service.management.readonly"
_TRACE = _AUTH + "trace.append"
_PUBSUB = _AUTH + "pubsub"

GKE_DEFAULT_SCOPES: tuple[str, ...] = tuple(
    sorted(
        [
            _STORAGE_RO,
            _LOGGING_WRITE,
            _MONITORING,
            _SERVICE_CONTROL,
            _SERVICE_MANAGEMENT_RO,
            _TRACE,
        ]
    )
)
"""What ``gke-default`` means (and what GKE uses when no scopes are given)."""

COMPUTE_DEFAULT_SCOPES: tuple[str, ...] = tuple(
    sorted(
        [
            _STORAGE_RO,
            _LOGGING_WRITE,
            _MONITORING_WRITE,
            _SERVICE_CONTROL,
            _SERVICE_MANAGEMENT_RO,
            _PUBSUB,
            _TRACE,
        ]
    )
)

SCOPE_ALIASES: dict[str, tuple[str, ...]] = {
    "bigquery": (_AUTH + "bigquery",),
    "cloud-platform": (_AUTH + "cloud-platform",),
    "cloud-source-repos": (_AUTH + "source.full_control",),
    "cloud-source-repos-ro": (_AUTH + "source.read_only",),
    "compute-ro": (_AUTH + "compute.readonly",),
    "compute-rw": (_AUTH + "compute",),
    "datastore": (_AUTH + "datastore",),
    "default": COMPUTE_DEFAULT_SCOPES,
    "gke-default": GKE_DEFAULT_SCOPES,
    "logging-write": (_LOGGING_WRITE,),
    "monitoring": (_MONITORING,),
    "monitoring-read": (_AUTH + "monitoring.read",),
    "monitoring-write": (_MONITORING_WRITE,),
    "pubsub": (_PUBSUB,),
    "service-control": (_SERVICE_CONTROL,),
    "service-management": (_SERVICE_MANAGEMENT_RO,),
    "sql-admin": (_AUTH + "sqlservice.admin",),
    "storage-full": (_AUTH + "devstorage.full_control",),
    "storage-ro": (_STORAGE_RO,),
    "storage-rw": (_AUTH + "devstorage.read_write",),
    "taskqueue": (_AUTH + "taskqueue",),
    "trace": (_TRACE,),
    "userinfo-email": (_AUTH + "userinfo.email",),
}

SCOPE_URL_PREFIX = _AUTH


def is_scope_url(value: str) -> bool:
    """A full scope URL (what the API takes); the rest of the path is Google's business."""
    return value.startswith(SCOPE_URL_PREFIX) and len(value) > len(SCOPE_URL_PREFIX)


def expand_scopes(scopes: Iterable[str]) -> list[str]:
    """Aliases to URLs, de-duplicated and sorted like gcloud sends them.

    An empty list means ``gke-default`` (GKE's own default when no scopes are given).
    Unknown names are passed through unchanged; validation reports them earlier.
    """
    urls: set[str] = set()
    for scope in scopes:
        name = scope.strip()
        if not name:
            continue
        urls.update(SCOPE_ALIASES.get(name, (name,)))
    if not urls:
        urls.update(GKE_DEFAULT_SCOPES)
    return sorted(urls)
