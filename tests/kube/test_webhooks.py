"""P2: a write that hits an admission webhook whose pods are not ready waits for the
Deployment behind the webhook's Service, retries, and names webhook and Service when it
stays down."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from kfwizard.kube.apply import ApplyOptions, apply_tiers
from kfwizard.kube.control import Quiet
from kfwizard.kube.errors import KubeFailure

NS = "hooks"
HOOK = "check.hooks.kfwizard.test"


def _backend() -> list[dict[str, Any]]:
    labels = {"app": "hook-server"}
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": NS, "labels": {"hooks": "on"}},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "hook-server", "namespace": NS},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "server",
                                "image": "example.com/hook-server:1",
                                "ports": [{"containerPort": 8443}],
                            }
                        ]
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "hook-svc", "namespace": NS},
            "spec": {"selector": labels, "ports": [{"port": 443, "targetPort": 8443}]},
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": "hooks-validator"},
            "webhooks": [
                {
                    "name": HOOK,
                    "failurePolicy": "Fail",
                    "sideEffects": "None",
                    "admissionReviewVersions": ["v1"],
                    "namespaceSelector": {"matchLabels": {"hooks": "on"}},
                    "clientConfig": {
                        "service": {
                            "namespace": NS,
                            "name": "hook-svc",
                            "port": 443,
                            "path": "/validate",
                        }
                    },
                    "rules": [
                        {
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "operations": ["CREATE", "UPDATE"],
                            "resources": ["configmaps"],
                        }
                    ],
                }
            ],
        },
    ]


def _guarded() -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "guarded", "namespace": NS},
            "data": {"a": "b"},
        }
    ]


def test_webhook_that_stays_down_is_named_with_its_service(
    emu: Any, clients: Any, faults: Any
) -> None:
    faults.update(never_ready=("hook-server",))
    with pytest.raises(KubeFailure) as caught:
        apply_tiers(
            clients,
            [("backend", _backend()), ("guarded", _guarded())],
            options=ApplyOptions(webhook_timeout=1.5),
        )
    failure = caught.value
    assert (
        f"The admission webhook {HOOK} (Service {NS}/hook-svc:443) does not answer" in failure.cause
    )
    assert "ConfigMap hooks/guarded cannot be applied" in failure.cause
    assert "kubectl get pods -n hooks" in (failure.action or "")
    assert any("Deployment hooks/hook-server" in line for line in failure.details)
    assert any("connection refused" in line for line in failure.details)


def test_webhook_starting_up_is_waited_for_then_the_apply_succeeds(
    emu: Any, clients: Any, faults: Any
) -> None:
    faults.update(never_ready=("hook-server",))
    control = Quiet()
    apply_tiers(clients, [("backend", _backend())], control=control)
    timer = threading.Timer(1.0, faults.clear)  # the webhook's pod becomes ready later
    timer.start()
    try:
        copies = apply_tiers(
            clients,
            [("guarded", _guarded())],
            control=control,
            options=ApplyOptions(webhook_timeout=20),
        ).copies
    finally:
        timer.cancel()
    assert copies[0]["metadata"]["name"] == "guarded"
    assert any(
        f"The admission webhook {HOOK} is not answering yet" in line for line in control.lines
    )
