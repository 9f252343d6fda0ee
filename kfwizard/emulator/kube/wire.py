"""The shapes passed between the HTTP layer and the API logic: a parsed request, a plain
reply, a watch to stream, a port-forward to upgrade, and the resource a path names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.discovery import ResourceType
from kfwizard.emulator.kube.store import Obj, Watcher

JSON = "application/json"
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+json": "apply",
}
HTTP_VERBS = {
    "GET": "get",
    "HEAD": "get",
    "POST": "create",
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "delete",
}
"""HTTP method -> the API verb ``Cluster.stats`` counts (for proxy/subresource calls)."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("true", "1")


@dataclass
class Reply:
    code: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False

    @classmethod
    def json(cls, code: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
        return cls(code, json.dumps(data, separators=(",", ":")).encode(), JSON, headers or {})

    @classmethod
    def error(cls, err: errors.ApiError) -> Reply:
        return cls.json(err.code, err.status(), err.headers)


@dataclass
class WatchPlan:
    watcher: Watcher
    initial: list[tuple[str, Obj]]
    rt: ResourceType
    timeout: float | None
    bookmark_rv: int | None = None
    """With sendInitialEvents: the rv of the BOOKMARK that ends the initial events."""


@dataclass
class PortForwardPlan:
    pod: Obj
    ports: list[int]


@dataclass
class Target:
    rt: ResourceType
    namespace: str  # "" for cluster scope or "all namespaces"
    name: str
    sub: str
    rest: str  # what follows a proxy subresource


def view(rt: ResourceType, obj: Obj) -> Obj:
    """The object as this version presents it (shared storage, per-version apiVersion)."""
    return {**obj, "apiVersion": rt.api_version, "kind": rt.kind}
