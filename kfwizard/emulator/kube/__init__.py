"""A loopback Kubernetes API server with a simulated GKE cluster behind it.

``KubeEmulator`` serves the real wire protocol (discovery, CRUD, server-side apply,
watches, logs, service proxy, pod port-forward) on 127.0.0.1 so the official clients
(the kubernetes Python client and kubectl) run unmodified against it, while a controller
thread simulates what the cluster does with the objects (scheduling, rollouts, PVC
binding, CRDs, namespaces, faults). Pods answer HTTP through the service proxy and
port-forwards (``podservers``): KFP's API and UI, and the full platform's Istio gateway
with an emulated Dex login and central dashboard (``gateway``). See ``emulator.py`` for
the public API.
"""

from __future__ import annotations

from kfwizard.emulator.kube.emulator import KubeEmulator
from kfwizard.emulator.kube.nodes import NodeSpec

__all__ = ["KubeEmulator", "NodeSpec"]
