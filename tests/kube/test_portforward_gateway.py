"""The full platform's port-forward goes to its Istio ingress gateway, and the login a
person then meets is Dex's: the forward of the Verify screen's ``p`` and of the headless
``run --port-forward``, against the emulator's gateway, oauth2-proxy, Dex and central
dashboard (served from the 26.03 ``example`` render's own objects)."""

from __future__ import annotations

import json
import urllib.error
from pathlib import Path
from typing import Any

import pytest

from kfwizard.kube.access import GATEWAY, KFP_UI
from kfwizard.kube.portforward import PortForward
from kfwizard.session import SessionStore
from tests.kube.conftest import new_session
from tests.kube.kubeflow_front import Browser, form_action, install_front


def test_the_full_platform_forwards_to_the_gateway_and_its_dex_login(
    emu: Any, clients: Any, kubeconfig: Path, store: SessionStore, fixtures_root: Path
) -> None:
    install_front(clients, fixtures_root)
    session = new_session(store, kubeconfig, "26.03", "example", mode="kubeflow")
    with PortForward.for_session(session, clients) as forward:
        assert (forward.namespace, forward.service) == ("istio-system", "istio-ingressgateway")
        assert forward.pod and forward.pod.startswith("istio-ingressgateway-")
        assert forward.remote_port == 8080  # the Service's port 80 -> targetPort 8080
        url = forward.url
        assert forward.line() == (
            f"Kubeflow dashboard, through the Istio gateway: {url} (log in with Dex as "
            "user@example.com, password 12341234 unless changed)"
        )

        browser = Browser()
        at, status, page = browser.get(url + "/")
        assert at.startswith(url + "/dex/auth/local/login?"), at
        assert status == 200 and "Log in to Your Account" in page
        assert "Emulated by kfwizard --demo." in page

        at, status, page = browser.post(
            form_action(at, page), {"login": "user@example.com", "password": "wrong"}
        )
        assert "Invalid Email Address and password." in page
        at, status, page = browser.post(
            form_action(at, page), {"login": "user@example.com", "password": "12341234"}
        )
        assert (at, status) == (url + "/", 200)
        assert "<title>Kubeflow Central Dashboard</title>" in page
        assert "Emulated by kfwizard --demo." in page
        assert '<b id="user">user@example.com</b>' in page
        assert '<b id="namespace">kubeflow-user-example-com</b>' in page
        assert [c.name for c in browser.cookies] == ["oauth2_proxy_kubeflow"]

        # KFP is behind the same login, at /pipeline (its VirtualService).
        _, _, body = browser.get(url + "/pipeline/apis/v2beta1/healthz")
        assert json.loads(body)["apiServerReady"] is True
        _, _, body = browser.get(url + "/pipeline/")
        assert "<title>Kubeflow Pipelines</title>" in body
        _, _, body = browser.get(url + "/api/workgroup/env-info")
        assert json.loads(body)["user"] == "user@example.com"

        # Without the login nothing goes through: not the dashboard, not KFP.
        at, _, page = Browser().get(url + "/pipeline/")
        assert at.startswith(url + "/dex/auth/local/login?") and "Log in" in page

        # A backend with no Ready pod is Envoy's answer, as on a cluster.
        apps = clients.dynamic.resources.get(api_version="apps/v1", kind="Deployment")
        apps.patch(
            name="centraldashboard",
            namespace="kubeflow",
            body={"spec": {"replicas": 0}},
            content_type="application/merge-patch+json",
        )
        _wait_gone(clients, "kubeflow", "app=centraldashboard")
        with pytest.raises(urllib.error.HTTPError) as caught:
            browser.get(url + "/")
        assert caught.value.code == 503
        assert caught.value.read() == b"no healthy upstream"

        _, _, _ = browser.get(url + "/oauth2/sign_out?rd=/pipeline/")  # back at the login
        at, _, page = browser.get(url + "/pipeline/")
        assert at.startswith(url + "/dex/auth/local/login?") and "Log in" in page


def test_the_kfp_modes_still_forward_to_the_kfp_ui(
    emu: Any, clients: Any, kubeconfig: Path, store: SessionStore
) -> None:
    for mode in ("kfp-standalone", "kfp-gcp"):
        session = new_session(store, kubeconfig, "2.17.0", mode=mode)
        forward = PortForward.for_session(session, clients)
        assert forward.target is KFP_UI, mode
        assert (forward.namespace, forward.service, forward.service_port) == (
            "kubeflow",
            "ml-pipeline-ui",
            80,
        )
    kubeflow = new_session(store, kubeconfig, "26.03", "example", mode="kubeflow")
    assert PortForward.for_session(kubeflow, clients).target is GATEWAY


def _wait_gone(clients: Any, namespace: str, selector: str) -> None:
    import time

    pods = clients.dynamic.resources.get(api_version="v1", kind="Pod")
    deadline = time.monotonic() + 20
    while pods.get(namespace=namespace, label_selector=selector).items:
        assert time.monotonic() < deadline, "the pods did not go"
        time.sleep(0.1)
