"""From a "failed calling webhook" error to the Deployment that should answer it (P2).

An admission webhook is called by the API server on every matching write; while its pod
is starting, writes fail with ``Internal error occurred: failed calling webhook "X"``.
That is normal for a minute after the webhook's Deployment was applied. To wait for the
right thing, we follow the chain a person would: the webhook configuration that holds
webhook ``X`` → its ``clientConfig.service`` → the Service's selector → the Deployments
whose pod template matches it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kfwizard.kube.client import KubeClients
from kfwizard.kube.control import Control
from kfwizard.kube.objects import labels_match
from kfwizard.kube.rest import get_object, list_objects

WEBHOOK_ERROR = re.compile(r'failed calling webhook "([^"]+)"')
CONFIG_KINDS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
ADMISSION_API = "admissionregistration.k8s.io/v1"


def webhook_name_in(message: str) -> str | None:
    """The webhook named in an API error message, or None."""
    match = WEBHOOK_ERROR.search(message or "")
    return match.group(1) if match else None


@dataclass
class WebhookBackend:
    """Where a webhook's calls go, and which workloads serve them."""

    webhook: str
    configuration: str = ""
    service_namespace: str = ""
    service_name: str = ""
    port: int | None = None
    url: str | None = None
    workloads: list[dict[str, str]] = field(default_factory=list)

    def service_text(self) -> str:
        if self.url:
            return self.url
        if not self.service_name:
            return "an unknown service"
        port = f":{self.port}" if self.port else ""
        return f"Service {self.service_namespace}/{self.service_name}{port}"


def find_backend(
    clients: KubeClients, webhook: str, control: Control | None = None
) -> WebhookBackend:
    """Look the webhook up in the cluster; unknown parts stay empty."""
    backend = WebhookBackend(webhook)
    for kind in CONFIG_KINDS:
        try:
            configs = list_objects(clients, ADMISSION_API, kind, control=control)
        except Exception:
            continue
        for config in configs.get("items") or []:
            for hook in config.get("webhooks") or []:
                if hook.get("name") != webhook:
                    continue
                backend.configuration = f"{kind} {config['metadata']['name']}"
                client_config = hook.get("clientConfig") or {}
                service = client_config.get("service") or {}
                backend.url = client_config.get("url")
                backend.service_namespace = service.get("namespace", "")
                backend.service_name = service.get("name", "")
                backend.port = service.get("port") or (443 if service else None)
                break
            if backend.configuration:
                break
        if backend.configuration:
            break
    if backend.service_name:
        backend.workloads = workloads_behind_service(
            clients, backend.service_namespace, backend.service_name, control
        )
    return backend


def workloads_behind_service(
    clients: KubeClients, namespace: str, name: str, control: Control | None = None
) -> list[dict[str, str]]:
    """Deployments and StatefulSets whose pods the Service selects (as references)."""
    service = get_object(clients, "v1", "Service", name, namespace, control=control)
    selector: dict[str, Any] = ((service or {}).get("spec") or {}).get("selector") or {}
    if not selector:
        return []
    found: list[dict[str, str]] = []
    for kind in ("Deployment", "StatefulSet"):
        try:
            items = (
                list_objects(clients, "apps/v1", kind, namespace=namespace, control=control).get(
                    "items"
                )
                or []
            )
        except Exception:
            continue
        for item in items:
            labels = (((item.get("spec") or {}).get("template") or {}).get("metadata") or {}).get(
                "labels"
            ) or {}
            if labels_match(selector, labels):
                found.append(
                    {
                        "apiVersion": "apps/v1",
                        "kind": kind,
                        "namespace": namespace,
                        "name": item["metadata"]["name"],
                    }
                )
    return found
