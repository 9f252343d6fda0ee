"""The local port-forward to the UI: loopback only, next free port, real HTTP through it."""

from __future__ import annotations

import socket
import urllib.request
from typing import Any

import pytest

from kfwizard.kube.apply import apply_tiers
from kfwizard.kube.errors import KubeFailure
from kfwizard.kube.portforward import PortForward
from kfwizard.kube.wait import wait_workloads
from tests.kube.conftest import load_set


def _install(clients: Any) -> None:
    mset = load_set("2.17.0")
    apply_tiers(clients, mset.tiers)
    refs = [
        {"kind": "Deployment", "namespace": "kubeflow", "name": "ml-pipeline-ui"},
        {"kind": "Deployment", "namespace": "kubeflow", "name": "ml-pipeline"},
    ]
    assert wait_workloads(clients, refs, timeout=30).ok


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, answer.read().decode("utf-8", errors="replace")


def test_port_forward_serves_the_ui_on_loopback(emu: Any, clients: Any) -> None:
    _install(clients)
    blocker = socket.socket()
    try:
        try:
            blocker.bind(("127.0.0.1", 8080))
            blocker.listen(1)
        except OSError:
            pass  # already taken by something else: the forwarder must skip it anyway
        with PortForward(clients) as forward:
            assert forward.url.startswith("http://127.0.0.1:")
            assert forward.port != 8080
            assert forward._listener is not None
            assert forward._listener.getsockname()[0] == "127.0.0.1"
            status, body = _get(forward.url + "/")
            assert status == 200 and "<html" in body.lower()
            status, body = _get(forward.url + "/apis/v1beta1/healthz")
            assert status == 200 and "apiServerReady" in body
            assert forward.connections >= 2
            assert forward.pod and forward.pod.startswith("ml-pipeline-ui-")
            assert forward.remote_port == 3000
        assert forward._listener is None
    finally:
        blocker.close()


def test_port_forward_without_a_ready_pod_says_so(emu: Any, clients: Any) -> None:
    with pytest.raises(KubeFailure) as caught:
        PortForward(clients).start()
    assert "does not exist" in caught.value.cause or "No pod" in caught.value.cause
