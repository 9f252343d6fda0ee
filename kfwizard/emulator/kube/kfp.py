"""KFP's GCP inverse proxy: what ``proxy-agent`` does to ``inverse-proxy-config``.

On GKE the agent registers with Google's inverting proxy and writes ``Hostname``,
``ProxyUrl`` and ``BackendId`` into the ConfigMap (about 20 s after it starts: here
2 s x speed after the Deployment became Available). Off GKE it crash-loops (see
kubelet/apps: "Could not resolve host: metadata.google.internal"), and on KFP 2.16+
its pods are refused by the namespace's ``baseline`` Pod Security level (hostNetwork),
so no Hostname is ever written; both come from the other simulators for free.
"""

from __future__ import annotations

import copy
import hashlib
import time
from typing import TYPE_CHECKING

from kfwizard.emulator.kube.podutil import condition
from kfwizard.emulator.kube.store import meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

CONFIGMAP = "inverse-proxy-config"
AGENT = "proxy-agent"
REGISTER_AFTER = 2.0
TUNNEL = "4592f092208ecc84946b8f8f8016274df1b36a14"


def hostname(cluster_name: str, zone: str, namespace: str = "kubeflow") -> str:
    digest = hashlib.sha256(f"{cluster_name}/{namespace}".encode()).hexdigest()[:16]
    region = zone.rsplit("-", 1)[0] if zone.count("-") >= 2 else zone
    return f"{digest}-dot-{region}.pipelines.googleusercontent.com"


class InverseProxy:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def reconcile(self, namespace: str, name: str) -> None:
        cluster = self.cluster
        if name != AGENT or not cluster.gke:
            return
        dep = cluster.store.peek(("apps", "deployments"), namespace, AGENT)
        available = condition(dep, "Available") if dep else None
        if available is None or available.get("status") != "True":
            return
        cm = cluster.store.peek(("", "configmaps"), namespace, CONFIGMAP)
        if cm is None or (cm.get("data") or {}).get("Hostname"):
            return
        since = cluster.available_at.get((namespace, AGENT), time.time())
        wait = cluster.sim.delay(REGISTER_AFTER) - (time.time() - since)
        if wait > 0:
            cluster.sim.enqueue("kfp", namespace, AGENT, after=wait)
            return
        region = cluster.zone.rsplit("-", 1)[0]
        backend = hashlib.sha256(f"{cluster.name}/{namespace}/backend".encode()).hexdigest()
        updated = copy.deepcopy(cm)
        updated["data"] = {
            **(cm.get("data") or {}),
            "Hostname": hostname(cluster.name, cluster.zone, namespace),
            "ProxyUrl": f"https://datalab-{region}.cloud.google.com/tun/m/{TUNNEL}",
            "BackendId": "-".join(
                (backend[:8], backend[8:12], backend[12:16], backend[16:20], backend[20:32])
            ),
        }
        rt = cluster.discovery.lookup("", "v1", "configmaps")
        assert rt is not None
        cluster.registry.update(
            rt, namespace, meta(cm)["name"], updated, manager="kubectl-patch", check_rv=False
        )
