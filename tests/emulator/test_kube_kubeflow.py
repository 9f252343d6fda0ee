"""The full Kubeflow 26.03 ``example`` render (675 objects) applies and comes up."""

from __future__ import annotations

import time
from pathlib import Path

from kfwizard.emulator.kube import KubeEmulator, NodeSpec
from tests.emulator.conftest import load_manifests, wait_for


def test_full_kubeflow_example_applies_and_every_workload_becomes_ready(
    shared_fixtures: Path, tmp_path: Path
) -> None:
    from kubernetes import config
    from kubernetes.client.exceptions import ApiException
    from kubernetes.dynamic import DynamicClient
    from kubernetes.dynamic.exceptions import ResourceNotFoundError

    docs = load_manifests(shared_fixtures / "kubeflow" / "26.03" / "example.yaml")
    assert len(docs) == 675
    nodes = NodeSpec.for_machine("e2-standard-8", 3, cluster="kubeflow")
    with KubeEmulator(name="kubeflow", nodes=nodes) as emu:
        api = config.new_client_from_config_dict(emu.kubeconfig("kubeflow"))
        dyn = DynamicClient(api, cache_file=str(tmp_path / "cache.json"))
        pending = list(docs)
        # The upstream one-liner: apply everything, retry what failed until nothing does.
        for _attempt in range(20):
            failed = []
            for doc in pending:
                try:
                    resource = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
                    namespace = doc["metadata"].get("namespace") if resource.namespaced else None
                    resource.server_side_apply(
                        body=doc,
                        namespace=namespace,
                        field_manager="kfwizard",
                        force_conflicts=True,
                    )
                except (ApiException, ResourceNotFoundError):
                    failed.append(doc)
            pending = failed
            if not pending:
                break
            time.sleep(0.2)
        assert pending == []
        # The render's ValidatingWebhookConfigurations come last, so they are in place now:
        # re-applying an intercepted object goes through the (now Available) webhooks.
        runtimes = [d for d in docs if d["kind"] == "ClusterServingRuntime"]
        assert len(runtimes) == 11

        def unready() -> list[str]:
            out = []
            for kind in ("Deployment", "StatefulSet", "DaemonSet"):
                for obj in emu.store.list("apps/v1", kind):
                    status, spec = obj.get("status") or {}, obj.get("spec") or {}
                    if kind == "DaemonSet":
                        ok = (
                            status.get("desiredNumberScheduled", 0)
                            == status.get("numberReady", -1)
                            > 0
                        )
                    else:
                        ok = status.get("readyReplicas", 0) >= spec.get("replicas", 1)
                    if not ok:
                        out.append(
                            f"{kind}/{obj['metadata'].get('namespace')}/{obj['metadata']['name']}"
                        )
            return out

        wait_for(lambda: not unready(), timeout=30, interval=0.1)
        deployments = [d for d in docs if d["kind"] == "Deployment"]
        assert len(deployments) == 49
        for doc in deployments:
            assert (doc["metadata"]["namespace"], doc["metadata"]["name"]) in emu.available_at
        assert (
            emu.store.get("apps/v1", "DaemonSet", "kube-system", "istio-cni-node")["status"][
                "numberReady"
            ]
            == 3
        )
        for doc in runtimes[:2]:
            dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"]).server_side_apply(
                body=doc, field_manager="kfwizard", force_conflicts=True
            )
        assert not emu.controller_errors
