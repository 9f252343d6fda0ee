"""The Google APIs the Service Usage emulator knows: names, titles, dependencies.

A small slice of the real catalogue: what the 2021 recipe enables, what a new project
has on by default, and what enabling the Kubernetes Engine API pulls in with it (real
Service Usage enables dependencies too, so the wizard sees compute come on with
container, as it would in Google Cloud).
"""

from __future__ import annotations

TITLES: dict[str, str] = {
    "aiplatform.googleapis.com": "Vertex AI API",
    "analyticshub.googleapis.com": "Analytics Hub API",
    "artifactregistry.googleapis.com": "Artifact Registry API",
    "autoscaling.googleapis.com": "Cloud Autoscaling API",
    "bigquery.googleapis.com": "BigQuery API",
    "bigqueryconnection.googleapis.com": "BigQuery Connection API",
    "bigquerystorage.googleapis.com": "BigQuery Storage API",
    "cloudapis.googleapis.com": "Google Cloud APIs",
    "cloudbuild.googleapis.com": "Cloud Build API",
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
    "cloudtrace.googleapis.com": "Cloud Trace API",
    "compute.googleapis.com": "Compute Engine API",
    "container.googleapis.com": "Kubernetes Engine API",
    "containerfilesystem.googleapis.com": "Container File System API",
    "containerregistry.googleapis.com": "Container Registry API",
    "datastore.googleapis.com": "Cloud Datastore API",
    "dns.googleapis.com": "Cloud DNS API",
    "iam.googleapis.com": "Identity and Access Management (IAM) API",
    "iamcredentials.googleapis.com": "IAM Service Account Credentials API",
    "iap.googleapis.com": "Cloud Identity-Aware Proxy API",
    "logging.googleapis.com": "Cloud Logging API",
    "meshconfig.googleapis.com": "Mesh Configuration API",
    "ml.googleapis.com": "AI Platform Training & Prediction API",
    "monitoring.googleapis.com": "Cloud Monitoring API",
    "networkconnectivity.googleapis.com": "Network Connectivity API",
    "oslogin.googleapis.com": "Cloud OS Login API",
    "pubsub.googleapis.com": "Cloud Pub/Sub API",
    "secretmanager.googleapis.com": "Secret Manager API",
    "servicemanagement.googleapis.com": "Service Management API",
    "serviceusage.googleapis.com": "Service Usage API",
    "sql-component.googleapis.com": "Cloud SQL",
    "sqladmin.googleapis.com": "Cloud SQL Admin API",
    "storage-api.googleapis.com": "Google Cloud Storage JSON API",
    "storage-component.googleapis.com": "Cloud Storage",
    "storage.googleapis.com": "Cloud Storage API",
}

DEFAULT_ENABLED: tuple[str, ...] = (
    "analyticshub.googleapis.com",
    "bigquery.googleapis.com",
    "bigqueryconnection.googleapis.com",
    "bigquerystorage.googleapis.com",
    "cloudapis.googleapis.com",
    "cloudtrace.googleapis.com",
    "datastore.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "servicemanagement.googleapis.com",
    "serviceusage.googleapis.com",
    "sql-component.googleapis.com",
    "storage-api.googleapis.com",
    "storage-component.googleapis.com",
    "storage.googleapis.com",
)
"""What a newly created project has enabled (no compute, no container)."""

DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "container.googleapis.com": (
        "artifactregistry.googleapis.com",
        "autoscaling.googleapis.com",
        "compute.googleapis.com",
        "containerfilesystem.googleapis.com",
        "containerregistry.googleapis.com",
        "iam.googleapis.com",
        "iamcredentials.googleapis.com",
        "networkconnectivity.googleapis.com",
        "oslogin.googleapis.com",
        "pubsub.googleapis.com",
    ),
    "compute.googleapis.com": ("oslogin.googleapis.com",),
    "aiplatform.googleapis.com": ("storage.googleapis.com",),
    "ml.googleapis.com": ("storage-api.googleapis.com",),
}


def title(service: str) -> str:
    return TITLES.get(service, service)


def known(service: str) -> bool:
    return service in TITLES


def with_dependencies(services: list[str] | tuple[str, ...]) -> list[str]:
    """The services plus everything they depend on, requested ones first."""
    out: list[str] = []
    stack = list(reversed(services))
    while stack:
        name = stack.pop()
        if name in out:
            continue
        out.append(name)
        stack.extend(reversed(DEPENDENCIES.get(name, ())))
    return out


def dependents(service: str, enabled: set[str]) -> list[str]:
    """Enabled services that depend on ``service`` (they block disabling it)."""
    return sorted(name for name in enabled if service in DEPENDENCIES.get(name, ()))
