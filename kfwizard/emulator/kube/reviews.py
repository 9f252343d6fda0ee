"""Answers to the create-only "review" kinds, which a real server computes and never
stores: access reviews (the wizard's preflight asks "may I create CRDs?"), token
reviews, and pod bindings.

The emulator is a single-user loopback cluster, so every access review is allowed and
every bearer token authenticates as a cluster admin.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.discovery import ResourceType

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

ADMIN = {
    "username": "emulator-admin@kfwizard.local",
    "groups": ["system:masters", "system:authenticated"],
}


class Reviews:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def answer(self, rt: ResourceType, body: dict[str, Any], namespace: str) -> dict[str, Any]:
        out = copy.deepcopy(body)
        out["apiVersion"] = rt.api_version
        out["kind"] = rt.kind
        out.setdefault("metadata", {})
        if rt.kind in (
            "SelfSubjectAccessReview",
            "SubjectAccessReview",
            "LocalSubjectAccessReview",
        ):
            out["status"] = {
                "allowed": True,
                "reason": "the kfwizard emulator allows every request",
            }
        elif rt.kind == "SelfSubjectRulesReview":
            out["status"] = {
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": False,
            }
        elif rt.kind == "TokenReview":
            out["status"] = {
                "authenticated": True,
                "user": dict(ADMIN),
                "audiences": ["https://kubernetes.default.svc"],
            }
        elif rt.kind == "SelfSubjectReview":
            out["status"] = {"userInfo": dict(ADMIN)}
        elif rt.kind == "Binding":
            return self._bind(body, namespace)
        return out

    def _bind(self, body: dict[str, Any], namespace: str) -> dict[str, Any]:
        name = (body.get("metadata") or {}).get("name", "")
        node = (body.get("target") or {}).get("name", "")
        pods = self.cluster.discovery.lookup("", "v1", "pods")
        assert pods is not None
        pod = self.cluster.registry.get(pods, namespace, name)
        new = copy.deepcopy(pod)
        new.setdefault("spec", {})["nodeName"] = node
        self.cluster.registry.update(pods, namespace, name, new)
        return errors.success_status()
