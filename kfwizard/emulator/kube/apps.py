"""What the simulated containers say: which workload a pod belongs to, its log lines
when it starts or crashes, and the image-pull error text.

The wording copies the real components (glog-style lines from the KFP API server, the
inverse-proxy agent's shell trace, containerd's pull errors), because the wizard's
diagnosis reads logs and events and must be tested against realistic text.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from kfwizard.emulator.kube.store import Obj, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster


def workload_of(cluster: Cluster, pod: Obj) -> str:
    """The Deployment/StatefulSet/DaemonSet/Job name that owns a pod (faults key on it)."""
    for ref in meta(pod).get("ownerReferences") or []:
        if not ref.get("controller"):
            continue
        if ref.get("kind") != "ReplicaSet":
            return str(ref.get("name", ""))
        rs = cluster.store.peek(
            ("apps", "replicasets"), meta(pod).get("namespace", ""), ref.get("name", "")
        )
        if rs is not None:
            for rs_ref in meta(rs).get("ownerReferences") or []:
                if rs_ref.get("controller"):
                    return str(rs_ref.get("name", ""))
        return str(ref.get("name", "")).rsplit("-", 1)[0]
    return meta(pod).get("name", "")


def _glog(level: str, source: str, message: str) -> str:
    now = time.time()
    stamp = time.strftime("%m%d %H:%M:%S", time.gmtime(now))
    micros = int((now % 1) * 1_000_000)
    return f"{level}{stamp}.{micros:06d}       1 {source}] {message}"


def _service_ip(cluster: Cluster, namespace: str, name: str, fallback: str) -> str:
    svc = cluster.store.peek(("", "services"), namespace, name)
    return ((svc or {}).get("spec") or {}).get("clusterIP") or fallback


def startup_lines(cluster: Cluster, pod: Obj, container: str, workload: str) -> list[str]:
    ns = meta(pod).get("namespace", "")
    if workload == "ml-pipeline":
        return [
            _glog("I", "client_manager.go:160", "Initializing client manager"),
            _glog(
                "I",
                "config.go:57",
                "Config DBConfig.MySQLConfig.ExtraParams not specified, skipping",
            ),
            _glog("I", "client_manager.go:212", "Client manager initialized successfully"),
            _glog("I", "main.go:130", "Starting API server"),
            _glog("I", "main.go:256", "Starting Http Proxy"),
            _glog("I", "main.go:177", "Starting RPC server"),
        ]
    if workload == "ml-pipeline-ui":
        return [
            f"[HPM] Proxy created: /  -> http://ml-pipeline.{ns}:8888",
            "Server listening at http://localhost:3000",
        ]
    if workload == "proxy-agent":
        host = cluster.kfp_hostname()
        return [
            "+ kubectl get configmap inverse-proxy-config -o json",
            f"+ HOSTNAME={host}",
            f"Hostname: {host}",
            "Starting the inverting proxy agent",
        ]
    if workload == "mysql":
        return [
            "[System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld 8.4) starting as process 1",
            "[System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. "
            "Version: '8.4'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  "
            "MySQL Community Server - GPL.",
        ]
    return [_glog("I", "main.go:52", f"Starting {container}"), _glog("I", "main.go:88", "Ready")]


def crash_lines(cluster: Cluster, pod: Obj, container: str, workload: str) -> list[str]:
    ns = meta(pod).get("namespace", "")
    if workload == "ml-pipeline":
        ip = _service_ip(cluster, ns, "mysql", "10.8.3.17")
        return [
            _glog("I", "client_manager.go:160", "Initializing client manager"),
            _glog(
                "I",
                "config.go:57",
                "Config DBConfig.MySQLConfig.ExtraParams not specified, skipping",
            ),
            _glog(
                "F",
                "client_manager.go:412",
                "Failed to connect to MySQL: Failed to check if database exists. "
                f"Error: dial tcp {ip}:3306: connect: connection refused",
            ),
        ]
    if workload == "proxy-agent" and not cluster.gke:
        return [
            "+++ dirname /opt/proxy/attempt-register-vm-on-proxy.sh",
            "++ cd /opt/proxy",
            "++ pwd",
            "+ DIR=/opt/proxy",
            "++ kubectl get configmap inverse-proxy-config -o json",
            "++ jq -r '.data.Hostname // empty'",
            "+ HOSTNAME=",
            "+ [[ -n '' ]]",
            "++ curl http://metadata.google.internal/computeMetadata/v1/instance/zone "
            "-H 'Metadata-Flavor: Google'",
            "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current",
            "                                 Dload  Upload   Total   Spent    Left  Speed",
            "  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0",
            "curl: (6) Could not resolve host: metadata.google.internal",
            "+ INSTANCE_ZONE=/",
        ]
    return [
        _glog("I", "main.go:52", f"Starting {container}"),
        _glog("F", "main.go:97", f"{container} exited: failed to start: context deadline exceeded"),
    ]


def full_reference(image: str) -> str:
    """containerd's normalised name: ``mysql:8.4`` -> ``docker.io/library/mysql:8.4``."""
    name = image
    first = name.split("/", 1)[0]
    if "/" not in name or ("." not in first and ":" not in first and first != "localhost"):
        name = f"docker.io/{name if '/' in name else 'library/' + name}"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        name += ":latest"
    return name


def pull_error(image: str) -> str:
    ref = full_reference(image)
    return (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": '
        f'failed to resolve reference "{ref}": {ref}: not found'
    )
