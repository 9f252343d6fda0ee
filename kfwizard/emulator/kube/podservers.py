"""The HTTP servers that run "inside" simulated pods, reached through the service proxy
or a port-forward: the KFP API server (``ml-pipeline:8888``), the KFP UI
(``ml-pipeline-ui:3000``), the full platform's front door (the Istio ingress gateway,
oauth2-proxy, Dex and the central dashboard: ``gateway``) and a generic answer for
everything else.

The KFP answers follow the 2.17.0 / 1.x sources: ``/apis/v1beta1/healthz`` returns
``{commit_sha, tag_name, multi_user}``; ``/apis/v2beta1/healthz`` (2.x only) adds
``pipeline_store: "database"``; ``tag_name`` is the ml-pipeline image tag. The UI serves
its HTML at ``/``, answers its own healthz (HTTP 200 even when the API is down, with
``apiServerReady: false``) and proxies other ``/apis/...`` calls to ``ml-pipeline:8888``;
under the full platform's gateway it is reached as ``/pipeline/...``, which it serves
the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kfwizard.emulator.kube import apps
from kfwizard.emulator.kube.podutil import image_tag
from kfwizard.emulator.kube.store import Obj, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

# Tag commits from the shared fixtures' README; other tags report "unknown".
KNOWN_COMMITS = {
    "1.6.0": "1c66f93f5149a8d5ed7f33895d3ebc01e662d837",
    "1.8.5": "8382cb027c49ac0f8981b20c70e50783a3a9dab1",
    "2.17.0": "4a3592cb2dd0a91a4652ab93893ec8beda1f3158",
}
UI_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,shrink-to-fit=no">
<meta name="theme-color" content="#000000">
<link rel="shortcut icon" href="/favicon.ico">
<title>Kubeflow Pipelines</title>
</head>
<body>
<noscript>You need to enable JavaScript to run this app.</noscript>
<div id="root"></div>
<script src="/static/js/main.js"></script>
</body>
</html>
"""
SAMPLE_PIPELINES = [
    (
        "[Tutorial] Data passing in python components",
        "Shows how to pass data between Python components.",
    ),
    ("[Tutorial] DSL - Control structures", "Shows how to use conditions and loops in a pipeline."),
]


@dataclass
class HttpAnswer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any) -> HttpAnswer:
        return cls(status, json.dumps(data).encode())

    def reason(self) -> str:
        return {
            200: "OK",
            202: "Accepted",
            302: "Found",
            303: "See Other",
            400: "Bad Request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not Found",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            405: "Method Not Allowed",
        }.get(self.status, "OK")


def _kfp_tag(pod: Obj) -> str:
    containers = (pod.get("spec") or {}).get("containers") or [{}]
    return image_tag(containers[0].get("image", ""))


def _is_v2(tag: str) -> bool:
    head = tag.lstrip("v").split(".", 1)[0]
    return not head.isdigit() or int(head) >= 2


class PodServers:
    def __init__(self, cluster: Cluster) -> None:
        from kfwizard.emulator.kube.gateway import KubeflowWeb

        self.cluster = cluster
        self.kubeflow = KubeflowWeb(cluster, self)
        """The full platform's gateway, login and dashboard (and their logins)."""

    def listens(self, pod: Obj, port: int) -> bool:
        """Whether something answers on ``port`` in this pod (a declared container port)."""
        for container in (pod.get("spec") or {}).get("containers") or []:
            for declared in container.get("ports") or []:
                if declared.get("containerPort") == port:
                    return True
        workload = apps.workload_of(self.cluster, pod)
        return (workload, port) in (("ml-pipeline", 8888), ("ml-pipeline-ui", 3000))

    def answer(
        self,
        pod: Obj,
        port: int,
        method: str,
        path: str,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> HttpAnswer:
        """What the pod's server on ``port`` answers; ``headers`` are lower-case."""
        workload = apps.workload_of(self.cluster, pod)
        headers = headers or {}
        if workload == "ml-pipeline" and port == 8888:
            return self.api_server(pod, method, path, query)
        if workload == "ml-pipeline-ui" and port == 3000:
            return self.ui(pod, method, path, query)
        if workload == "istio-ingressgateway" and port == 8080:
            return self.kubeflow.gateway(method, path, query, headers, body)
        if workload == "oauth2-proxy" and port == 4180:
            return self.kubeflow.oauth2_proxy(method, path, query, headers)
        if workload == "dex" and port == 5556:
            return self.kubeflow.dex(method, path, query, body)
        if workload == "centraldashboard" and port == 8082:
            return self.kubeflow.dashboard(path, headers)
        if path in ("/", "/healthz", "/readyz", "/livez", "/status"):
            return HttpAnswer(200, b"ok", "text/plain; charset=utf-8")
        return HttpAnswer(404, b"404 page not found\n", "text/plain; charset=utf-8")

    # -- ml-pipeline ---------------------------------------------------------------------------
    def healthz(self, pod: Obj, v2: bool) -> dict[str, Any]:
        tag = _kfp_tag(pod)
        body: dict[str, Any] = {
            "commit_sha": KNOWN_COMMITS.get(tag, "unknown"),
            "tag_name": tag,
            "multi_user": False,
        }
        if v2:
            body["pipeline_store"] = "database"
        return body

    def api_server(self, pod: Obj, method: str, path: str, query: str) -> HttpAnswer:
        tag = _kfp_tag(pod)
        v2 = _is_v2(tag)
        if method != "GET":
            return HttpAnswer.json(
                405, {"error": "Method Not Allowed", "code": 12, "message": "Method Not Allowed"}
            )
        if path == "/apis/v1beta1/healthz" or (v2 and path == "/apis/v2beta1/healthz"):
            return HttpAnswer.json(200, self.healthz(pod, path.startswith("/apis/v2")))
        if v2 and path == "/apis/v2beta1/pipelines":
            items = [
                {
                    "pipeline_id": f"{index:08x}-0000-4000-8000-00000000000{index}",
                    "display_name": name,
                    "description": text,
                    "created_at": "2026-07-09T00:00:00Z",
                    "namespace": "",
                }
                for index, (name, text) in enumerate(SAMPLE_PIPELINES, start=1)
            ]
            return HttpAnswer.json(
                200,
                {
                    "pipelines": items[:1],
                    "total_size": len(items),
                    "next_page_token": "page-2" if "page_size=1" in query else "",
                },
            )
        if path == "/apis/v1beta1/pipelines":
            items = [
                {
                    "id": f"{index:08x}-0000-4000-8000-00000000000{index}",
                    "name": name,
                    "description": text,
                    "created_at": "2026-07-09T00:00:00Z",
                }
                for index, (name, text) in enumerate(SAMPLE_PIPELINES, start=1)
            ]
            return HttpAnswer.json(200, {"pipelines": items[:1], "total_size": len(items)})
        return HttpAnswer.json(
            404, {"error": "Not Found", "code": 5, "message": "Not Found", "details": []}
        )

    # -- ml-pipeline-ui -----------------------------------------------------------------------
    def _api_pod(self, namespace: str) -> Obj | None:
        service = self.cluster.store.peek(("", "services"), namespace, "ml-pipeline")
        if service is None:
            return None
        backends = self.cluster.admission.ready_backends(service)
        return backends[0] if backends else None

    def ui(self, pod: Obj, method: str, path: str, query: str) -> HttpAnswer:
        namespace = meta(pod).get("namespace", "")
        if path == "/pipeline" or path.startswith("/pipeline/"):
            path = path[len("/pipeline") :] or "/"
        api = self._api_pod(namespace)
        ui_tag = _kfp_tag(pod)
        if path in ("/apis/v1beta1/healthz", "/apis/v2beta1/healthz"):
            body: dict[str, Any] = {
                "buildDate": "Thu Jul 09 2026",
                "frontendCommitHash": KNOWN_COMMITS.get(ui_tag, "unknown"),
                "frontendTagName": ui_tag,
                "apiServerReady": api is not None,
            }
            if api is not None:
                health = self.healthz(api, _is_v2(_kfp_tag(api)))
                body.update(
                    {
                        "apiServerCommitHash": health["commit_sha"],
                        "apiServerTagName": health["tag_name"],
                        "apiServerMultiUser": health["multi_user"],
                        "multi_user": health["multi_user"],
                    }
                )
                if "pipeline_store" in health:
                    body["pipelineStore"] = health["pipeline_store"]
            return HttpAnswer.json(200, body)
        if path.startswith("/apis/"):
            if api is None:
                text = (
                    f"Error occurred while trying to proxy request {path} from localhost:3000 to "
                    f"http://ml-pipeline.{namespace}:8888 (ECONNREFUSED)"
                )
                return HttpAnswer(500, text.encode(), "text/plain; charset=utf-8")
            return self.api_server(api, method, path, query)
        if path.startswith("/static/"):
            return HttpAnswer(200, b"/* kfwizard emulator */\n", "application/javascript")
        return HttpAnswer(200, UI_HTML.encode(), "text/html; charset=utf-8")
