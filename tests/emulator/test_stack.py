"""The emulator stack: environment, kubeconfig, persistence, loopback-only sockets."""

from __future__ import annotations

import json
import os
import shlex
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.api_core import exceptions
from google.cloud import container_v1

from kfwizard.emulator.catalog import DEFAULT_ENABLED
from kfwizard.emulator.stack import EmulatorStack
from tests.emulator.conftest import (
    CLUSTER_APIS,
    TEST_PROJECT,
    fast_polling,
    gke_client,
    serviceusage_client,
)

ZONE = "us-central1-a"
CONTEXT = f"gke_{TEST_PROJECT}_{ZONE}_kfp"


def read_kubeconfig(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def contexts(path: Path) -> list[str]:
    return [c["name"] for c in read_kubeconfig(path)["contexts"]]


def test_env_and_export_lines(tmp_path: Path) -> None:
    with EmulatorStack(project=TEST_PROJECT, kubeconfig_path=tmp_path / "k config") as stack:
        env = stack.env()
        assert env["CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER"] == f"{stack.gke_url}/"
        assert env["CLOUDSDK_API_ENDPOINT_OVERRIDES_SERVICEUSAGE"] == f"{stack.serviceusage_url}/"
        assert stack.gke_url.startswith("http://127.0.0.1:")
        assert stack.serviceusage_url.startswith("http://127.0.0.1:")
        assert env["CLOUDSDK_AUTH_DISABLE_CREDENTIALS"] == "true"
        assert env["CLOUDSDK_CORE_PROJECT"] == TEST_PROJECT
        assert env["KUBECONFIG"] == str(tmp_path / "k config")
        assert Path(env["CLOUDSDK_AUTH_ACCESS_TOKEN_FILE"]).read_text().strip()
        assert env["KFWIZARD_EMULATOR_SPEED"] == "0"
        lines = stack.export_lines()
        assert len(lines) == len(env)
        parsed = dict(shlex.split(line)[1].split("=", 1) for line in lines)
        assert parsed == env
        shell = subprocess.run(
            ["sh", "-c", "\n".join(lines) + '\nprintf %s "$KUBECONFIG"'],
            capture_output=True,
            text=True,
            check=True,
        )
        assert shell.stdout == str(tmp_path / "k config")


def test_demo_default_project_has_no_cluster_apis(tmp_path: Path) -> None:
    with EmulatorStack(kubeconfig_path=tmp_path / "kc") as stack:
        assert stack.project == "kfwizard-demo"
        client = serviceusage_client(stack.serviceusage_url)
        enabled = client.list_services(
            request={"parent": "projects/kfwizard-demo", "filter": "state:ENABLED"}
        )
        names = {s.config.name for s in enabled}
        assert names == set(DEFAULT_ENABLED)
        assert not names & set(CLUSTER_APIS)


def test_precreated_clusters_and_kubeconfig(tmp_path: Path) -> None:
    home_kube = Path(os.environ["HOME"]) / ".kube"
    kubeconfig = tmp_path / "kc"
    with EmulatorStack(
        project=TEST_PROJECT, clusters=["kfp", "other"], kubeconfig_path=kubeconfig
    ) as stack:
        client = gke_client(stack.gke_url)
        listed = client.list_clusters(parent=f"projects/{TEST_PROJECT}/locations/-").clusters
        assert sorted((c.name, c.status.name) for c in listed) == [
            ("kfp", "RUNNING"),
            ("other", "RUNNING"),
        ]
        kfp = next(c for c in listed if c.name == "kfp")
        assert kfp.location == ZONE and kfp.current_node_count == 3
        assert kfp.node_pools[0].config.machine_type == "n1-standard-2"
        su = serviceusage_client(stack.serviceusage_url)
        service = su.get_service(
            request={"name": f"projects/{TEST_PROJECT}/services/container.googleapis.com"}
        )
        assert service.state.name == "ENABLED"

        assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
        config = read_kubeconfig(kubeconfig)
        assert sorted(contexts(kubeconfig)) == [CONTEXT, f"gke_{TEST_PROJECT}_{ZONE}_other"]
        assert config["current-context"] in contexts(kubeconfig)
        kube = stack.cluster("kfp")
        cluster = next(c for c in config["clusters"] if c["name"] == CONTEXT)["cluster"]
        assert cluster == {"server": kube.url, "certificate-authority-data": kube.ca_b64}
        user = next(u for u in config["users"] if u["name"] == CONTEXT)["user"]
        assert user == {"token": kube.token}

        stack.add_cluster("third", location="europe-west1-b", nodes=1)
        assert f"gke_{TEST_PROJECT}_europe-west1-b_third" in contexts(kubeconfig)
        op = client.delete_cluster(name=f"projects/{TEST_PROJECT}/locations/{ZONE}/clusters/other")
        deadline = time.monotonic() + 5
        while f"gke_{TEST_PROJECT}_{ZONE}_other" in contexts(kubeconfig):
            assert time.monotonic() < deadline, op.name
            time.sleep(0.01)
    assert not home_kube.exists(), "the stack must never touch ~/.kube"


def test_kubeconfig_keeps_entries_it_did_not_write(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc"
    foreign = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "mine", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "mine", "user": {"token": "x"}}],
        "contexts": [{"name": "mine", "context": {"cluster": "mine", "user": "mine"}}],
        "current-context": "mine",
    }
    kubeconfig.write_text(yaml.safe_dump(foreign))
    with EmulatorStack(project=TEST_PROJECT, clusters=["kfp"], kubeconfig_path=kubeconfig):
        assert sorted(contexts(kubeconfig)) == sorted([CONTEXT, "mine"])
        assert read_kubeconfig(kubeconfig)["current-context"] == "mine"


def test_kubectl_through_the_written_kubeconfig(tmp_path: Path, kubectl: str) -> None:
    kubeconfig = tmp_path / "kc"
    with EmulatorStack(project=TEST_PROJECT, clusters=["kfp"], kubeconfig_path=kubeconfig) as stack:
        result = subprocess.run(
            [
                kubectl,
                "--kubeconfig",
                str(kubeconfig),
                "--context",
                CONTEXT,
                "--cache-dir",
                str(tmp_path / "kcache"),
                "get",
                "nodes",
                "-o",
                "name",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **stack.env()},
        )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) == 3


def test_state_dir_round_trip(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    with EmulatorStack(project=TEST_PROJECT, clusters=["kfp"], state_dir=state_dir) as stack:
        su = serviceusage_client(stack.serviceusage_url)
        su.enable_service(
            request={"name": f"projects/{TEST_PROJECT}/services/iap.googleapis.com"}
        ).result(polling=fast_polling())
        _put_configmap(stack.cluster("kfp"), tmp_path, "kept", {"answer": "42"})
        kubeconfig = stack.kubeconfig_path
        assert kubeconfig == state_dir / "kubeconfig"
    assert (state_dir / "emulators.json").exists()
    assert stat.S_IMODE((state_dir / "emulators.json").stat().st_mode) == 0o600

    with EmulatorStack(project=TEST_PROJECT, state_dir=state_dir) as stack:
        client = gke_client(stack.gke_url)
        cluster = client.get_cluster(name=f"projects/{TEST_PROJECT}/locations/{ZONE}/clusters/kfp")
        assert cluster.status.name == "RUNNING"
        kube = stack.cluster("kfp")
        assert cluster.endpoint == kube.endpoint
        assert _get_configmap(kube, tmp_path, "kept") == {"answer": "42"}
        su = serviceusage_client(stack.serviceusage_url)
        service = su.get_service(
            request={"name": f"projects/{TEST_PROJECT}/services/iap.googleapis.com"}
        )
        assert service.state.name == "ENABLED"
        config = read_kubeconfig(kubeconfig)
        server = next(c for c in config["clusters"] if c["name"] == CONTEXT)["cluster"]["server"]
        assert server == kube.url


def test_restart_carries_on_a_running_operation(tmp_path: Path) -> None:
    """Stopped while a cluster was provisioning; the next run finishes the job."""
    state_dir = tmp_path / "state"
    enabled = [*DEFAULT_ENABLED, *CLUSTER_APIS]
    with EmulatorStack(
        speed=1.0, project=TEST_PROJECT, enabled_services=enabled, state_dir=state_dir
    ) as stack:
        client = gke_client(stack.gke_url)
        op = client.create_cluster(
            parent=f"projects/{TEST_PROJECT}/locations/{ZONE}",
            cluster=container_v1.Cluster(name="halfway", initial_node_count=1),
        )
    with EmulatorStack(speed=0.0, project=TEST_PROJECT, state_dir=state_dir) as stack:
        client = gke_client(stack.gke_url)
        name = f"projects/{TEST_PROJECT}/locations/{ZONE}/operations/{op.name}"
        deadline = time.monotonic() + 10
        while client.get_operation(name=name).status.name != "DONE":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        cluster = client.get_cluster(
            name=f"projects/{TEST_PROJECT}/locations/{ZONE}/clusters/halfway"
        )
        assert cluster.status.name == "RUNNING"
        assert f"gke_{TEST_PROJECT}_{ZONE}_halfway" in contexts(stack.kubeconfig_path)


def test_corrupt_state_is_set_aside(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "emulators.json").write_text("{not json")
    with EmulatorStack(project=TEST_PROJECT, state_dir=state_dir) as stack:
        with pytest.raises(exceptions.Forbidden):  # fresh project: container API off
            gke_client(stack.gke_url).list_clusters(parent=f"projects/{TEST_PROJECT}/locations/-")
    assert (state_dir / "emulators.json.corrupt").exists()


def test_every_listening_socket_is_loopback(tmp_path: Path) -> None:
    if not Path("/proc/self/net/tcp").exists():
        pytest.skip("needs Linux /proc to list this process's listening sockets")
    before = _listening()
    with EmulatorStack(
        project=TEST_PROJECT, clusters=["kfp", "two"], kubeconfig_path=tmp_path / "kc"
    ):
        opened = _listening() - before
    assert len(opened) >= 4, opened  # GKE, Service Usage and two Kubernetes APIs
    assert {host for host, _ in opened} == {"127.0.0.1"}, opened


def _listening() -> set[tuple[str, int]]:
    """(address, port) of this process's listening TCP sockets, from /proc."""
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        path = Path("/proc/self/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A = LISTEN
                continue
            addr_hex, port_hex = local.split(":")
            raw = bytes.fromhex(addr_hex)
            if family == socket.AF_INET:
                host = socket.inet_ntop(family, raw[::-1])
            else:
                words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
                host = socket.inet_ntop(family, b"".join(words))
            found.add((host, int(port_hex, 16)))
    return found


def _kube_api(kube: Any, folder: Path) -> Any:
    import base64

    import kubernetes.client

    ca = folder / f"ca-{kube.endpoint.replace(':', '-')}.pem"
    ca.write_bytes(base64.b64decode(kube.ca_b64))
    config = kubernetes.client.Configuration()
    config.host = kube.url
    config.ssl_ca_cert = str(ca)
    config.api_key = {"authorization": f"Bearer {kube.token}"}
    return kubernetes.client.ApiClient(config)


def _put_configmap(kube: Any, folder: Path, name: str, data: dict[str, str]) -> None:
    import kubernetes.client

    with _kube_api(kube, folder) as api:
        kubernetes.client.CoreV1Api(api).create_namespaced_config_map(
            "default", {"metadata": {"name": name}, "data": data}
        )


def _get_configmap(kube: Any, folder: Path, name: str) -> dict[str, str]:
    import kubernetes.client

    with _kube_api(kube, folder) as api:
        return dict(
            kubernetes.client.CoreV1Api(api).read_namespaced_config_map(name, "default").data
        )


def test_stack_module_imports_no_heavy_clients() -> None:
    code = (
        "import sys, kfwizard.emulator.stack, kfwizard.emulator.cli\n"
        "heavy = [m for m in ('textual', 'google.cloud.container_v1', 'kubernetes') "
        "if m in sys.modules]\n"
        "print(json.dumps(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import json\n" + code],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == []
