"""The full platform's front door out of the 26.03 ``example`` render, installed alone:
the Istio ingress gateway, oauth2-proxy, Dex, the central dashboard and KFP's API and
UI, with their namespaces, accounts, config, Services, VirtualServices and the user's
Profile (a few seconds, where the whole platform takes much longer). And a browser's
walk through the Dex login, with the standard library."""

from __future__ import annotations

import functools
import http.cookiejar
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from kfwizard.kube.wait import wait_workloads

FIXTURE = Path("kubeflow") / "26.03" / "example.yaml"
WORKLOADS = {
    ("istio-system", "istio-ingressgateway"),
    ("oauth2-proxy", "oauth2-proxy"),
    ("auth", "dex"),
    ("kubeflow", "centraldashboard"),
    ("kubeflow", "ml-pipeline"),
    ("kubeflow", "ml-pipeline-ui"),
}
NAMESPACES = {namespace for namespace, _ in WORKLOADS}
CRDS = {"virtualservices.networking.istio.io", "profiles.kubeflow.org"}


@functools.lru_cache(maxsize=1)
def _documents(path: Path) -> tuple[dict[str, Any], ...]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = path.read_text(encoding="utf-8")
    return tuple(d for d in yaml.load_all(text, Loader=loader) if d)


def front_objects(fixtures_root: Path) -> list[dict[str, Any]]:
    chosen = []
    for doc in _documents(fixtures_root / FIXTURE):
        kind, md = doc["kind"], doc["metadata"]
        where = (md.get("namespace", ""), md["name"])
        if (
            (kind == "Namespace" and md["name"] in NAMESPACES)
            or (kind == "CustomResourceDefinition" and md["name"] in CRDS)
            or (kind in ("Deployment", "Service") and where in WORKLOADS)
            or (kind in ("ServiceAccount", "ConfigMap", "Secret") and where[0] in NAMESPACES)
            or kind in ("VirtualService", "Profile")
        ):
            chosen.append(doc)
    return chosen


def install_front(clients: Any, fixtures_root: Path) -> None:
    """Apply the objects (again while a CRD is not served yet), wait for the pods."""
    from kubernetes.client.exceptions import ApiException
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    pending = front_objects(fixtures_root)
    for _attempt in range(50):
        failed = []
        for doc in pending:
            try:
                resource = clients.dynamic.resources.get(
                    api_version=doc["apiVersion"], kind=doc["kind"]
                )
                namespace = doc["metadata"].get("namespace") if resource.namespaced else None
                resource.server_side_apply(
                    body=doc, namespace=namespace, field_manager="kfwizard", force_conflicts=True
                )
            except (ApiException, ResourceNotFoundError):
                failed.append(doc)
        pending = failed
        if not pending:
            break
        time.sleep(0.1)
        clients.dynamic.resources.invalidate_cache()  # the CRDs' kinds, served now
    assert pending == [], [(d["kind"], d["metadata"]["name"]) for d in pending]
    refs = [{"kind": "Deployment", "namespace": ns, "name": name} for ns, name in WORKLOADS]
    assert wait_workloads(clients, refs, timeout=60).ok


class Browser:
    """Follows redirects and keeps cookies, as a browser does (no JavaScript needed:
    the login is plain HTML forms)."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, url: str) -> tuple[str, int, str]:
        """(the URL it ended at, status, body)."""
        with self.opener.open(url, timeout=10) as answer:
            return answer.geturl(), answer.status, answer.read().decode()

    def post(self, url: str, form: dict[str, str]) -> tuple[str, int, str]:
        data = urllib.parse.urlencode(form).encode()
        with self.opener.open(url, data=data, timeout=10) as answer:
            return answer.geturl(), answer.status, answer.read().decode()


def form_action(base: str, page: str) -> str:
    """The login form's absolute URL."""
    import html
    import re

    found = re.search(r'<form method="post" action="([^"]+)"', page)
    assert found, page
    return urllib.parse.urljoin(base, html.unescape(found.group(1)))
