"""PersistentVolumeClaims: dynamic provisioning (GKE's PD CSI driver) and protection.

A claim binds (a PV ``pvc-<uid>`` is created, 0.5 s x speed later) when a StorageClass
applies: its own ``storageClassName``, or the default class, which the DefaultStorageClass
admission plugin writes into the claim at creation, or later (retroactive default
assignment, as since Kubernetes 1.28) once a default class appears. Without one the claim
stays Pending with the persistent-volume controller's real event
"no persistent volumes available for this claim and no storage class is set".

Simplification: every class binds at once (Immediate), even ``standard-rwo``, which is
WaitForFirstConsumer on GKE; so a claim's phase does not depend on its consumer.
Claims carry ``kubernetes.io/pvc-protection``: deleting one that a pod still uses
leaves it Terminating until the pod is gone, as on a real cluster.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.podutil import is_terminal
from kfwizard.emulator.kube.store import Obj, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

PVCS = ("", "persistentvolumeclaims")
PVS = ("", "persistentvolumes")
SCS = ("storage.k8s.io", "storageclasses")
PROTECTION = "kubernetes.io/pvc-protection"
BIND_AFTER = 0.5
PROVISIONER = "pd.csi.storage.gke.io"


class Storage:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def _rt(self, plural: str):
        rt = self.cluster.discovery.lookup("", "v1", plural)
        assert rt is not None
        return rt

    def claims_in(self, namespace: str, _: str = "") -> None:
        for pvc in self.cluster.store.items(PVCS, namespace):
            self.claim(namespace, meta(pvc)["name"])

    def all_claims(self, _: str = "", __: str = "") -> None:
        for pvc in self.cluster.store.items(PVCS):
            self.cluster.sim.enqueue("pvc", meta(pvc)["namespace"], meta(pvc)["name"])

    def _in_use(self, pvc: Obj) -> bool:
        md = meta(pvc)
        for pod in self.cluster.store.items(("", "pods"), md["namespace"]):
            if is_terminal(pod):
                continue
            for volume in (pod.get("spec") or {}).get("volumes") or []:
                if (volume.get("persistentVolumeClaim") or {}).get("claimName") == md["name"]:
                    return True
        return False

    def claim(self, namespace: str, name: str) -> None:
        cluster = self.cluster
        pvc = cluster.store.peek(PVCS, namespace, name)
        if pvc is None:
            return
        md = meta(pvc)
        rt = self._rt("persistentvolumeclaims")
        if md.get("deletionTimestamp"):
            if PROTECTION in (md.get("finalizers") or []) and not self._in_use(pvc):
                done = copy.deepcopy(pvc)
                done["metadata"]["finalizers"] = [f for f in md["finalizers"] if f != PROTECTION]
                cluster.registry.update(rt, namespace, name, done, check_rv=False)
                self._release(pvc)
            return
        if (pvc.get("status") or {}).get("phase") == "Bound":
            return
        spec = pvc.get("spec") or {}
        class_name = spec.get("storageClassName")
        if class_name is None:
            default = cluster.registry.default_storage_class()
            if default:
                updated = copy.deepcopy(pvc)
                updated["spec"]["storageClassName"] = default
                pvc = cluster.registry.update(rt, namespace, name, updated, check_rv=False)
                class_name = default
        if not class_name:
            cluster.recorder.record(
                pvc,
                "Normal",
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
                "persistentvolume-controller",
            )
            return
        storage_class = cluster.store.peek(SCS, "", class_name)
        if storage_class is None:
            cluster.recorder.record(
                pvc,
                "Warning",
                "ProvisioningFailed",
                f'storageclass.storage.k8s.io "{class_name}" not found',
                "persistentvolume-controller",
            )
            return
        wait = cluster.sim.delay(BIND_AFTER) - cluster.registry.age(pvc)
        if wait > 0:
            cluster.sim.enqueue("pvc", namespace, name, after=wait)
            return
        self._bind(pvc, storage_class)

    def _bind(self, pvc: Obj, storage_class: Obj) -> None:
        cluster = self.cluster
        md = meta(pvc)
        spec = pvc.get("spec") or {}
        pv_name = f"pvc-{md['uid']}"
        size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        provisioner = storage_class.get("provisioner", PROVISIONER)
        component = f"{provisioner}_gke-{cluster.name}-pdcsi-controller"
        cluster.recorder.record(
            pvc,
            "Normal",
            "Provisioning",
            "External provisioner is provisioning volume for claim "
            f'"{md["namespace"]}/{md["name"]}"',
            component,
        )
        pv = {
            "metadata": {
                "name": pv_name,
                "annotations": {
                    "pv.kubernetes.io/provisioned-by": provisioner,
                    "volume.kubernetes.io/provisioner-deletion-secret-name": "",
                    "volume.kubernetes.io/provisioner-deletion-secret-namespace": "",
                },
                "finalizers": ["kubernetes.io/pv-protection"],
            },
            "spec": {
                "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
                "capacity": {"storage": size},
                "claimRef": {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "name": md["name"],
                    "namespace": md["namespace"],
                    "uid": md["uid"],
                    "resourceVersion": md.get("resourceVersion", ""),
                },
                "csi": {
                    "driver": provisioner,
                    "fsType": "ext4",
                    "volumeHandle": (
                        f"projects/{cluster.project}/zones/{cluster.zone}/disks/{pv_name}"
                    ),
                },
                "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy", "Delete"),
                "storageClassName": meta(storage_class)["name"],
                "volumeMode": spec.get("volumeMode", "Filesystem"),
            },
        }
        pv_rt = self._rt("persistentvolumes")
        try:
            cluster.registry.create(pv_rt, pv, manager="csi-provisioner")
        except errors.ApiError:
            pass
        created = cluster.store.peek(PVS, "", pv_name)
        if created is not None:
            bound_pv = copy.deepcopy(created.get("status") or {})
            bound_pv["phase"] = "Bound"
            cluster.registry.write_status(pv_rt, created, bound_pv)
        rt = self._rt("persistentvolumeclaims")
        updated = copy.deepcopy(pvc)
        updated["spec"]["volumeName"] = pv_name
        annotations = updated["metadata"].setdefault("annotations", {})
        annotations.update(
            {
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
                "volume.beta.kubernetes.io/storage-provisioner": provisioner,
                "volume.kubernetes.io/storage-provisioner": provisioner,
            }
        )
        pvc = cluster.registry.update(rt, md["namespace"], md["name"], updated, check_rv=False)
        status = {
            "phase": "Bound",
            "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
            "capacity": {"storage": size},
        }
        cluster.registry.write_status(rt, pvc, status)
        cluster.recorder.record(
            pvc,
            "Normal",
            "ProvisioningSucceeded",
            f"Successfully provisioned volume {pv_name}",
            component,
        )
        cluster.sim.enqueue("schedule-pending")

    def _release(self, pvc: Obj) -> None:
        pv_name = (pvc.get("spec") or {}).get("volumeName")
        if pv_name:
            self.release_volume("", pv_name)

    def release_volume(self, _: str, pv_name: str) -> None:
        """The claim is gone: a Delete-policy volume goes with it."""
        cluster = self.cluster
        pv = cluster.store.peek(PVS, "", pv_name)
        if pv is None or (pv.get("spec") or {}).get("persistentVolumeReclaimPolicy") != "Delete":
            return
        claim = (pv.get("spec") or {}).get("claimRef") or {}
        if cluster.store.peek(PVCS, claim.get("namespace", ""), claim.get("name", "")) is not None:
            return
        cluster.store.commit(PVS, copy.deepcopy(pv), "DELETED", pv)
