"""Generic create/update/delete semantics, shared by API requests and the controllers.

This is the "registry strategy" part of an API server: server-filled metadata (uid,
resourceVersion via the store, creationTimestamp, generation), status handling (on kinds
with a status subresource the main endpoint ignores ``.status`` and ``/status`` touches
nothing else), namespace checks (404 when missing, 403 while Terminating), finalizers
(a delete only sets ``deletionTimestamp`` while any remain; removing the last one
deletes), and no-op writes that keep the resourceVersion unchanged (so re-applying the
same manifests does not wake every watch).
"""

from __future__ import annotations

import copy
import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from kfwizard.emulator.kube import defaults, errors
from kfwizard.emulator.kube.discovery import Discovery, ResourceType
from kfwizard.emulator.kube.patch import fields_of, record_manager
from kfwizard.emulator.kube.store import Key, Obj, Store, meta
from kfwizard.emulator.kube.validation import validate

NAMESPACES: Key = ("", "namespaces")
STORAGE_CLASSES: Key = ("storage.k8s.io", "storageclasses")

# Kinds whose strategy sets metadata.generation (besides every custom resource).
_GENERATION_GROUPS = {
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
}
_GENERATION_KEYS = {
    ("networking.k8s.io", "ingresses"),
    ("networking.k8s.io", "networkpolicies"),
    ("", "replicationcontrollers"),
}


def now_rfc3339() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def has_generation(rt: ResourceType) -> bool:
    return bool(rt.crd) or rt.group in _GENERATION_GROUPS or rt.key in _GENERATION_KEYS


def _spec_part(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _comparable(obj: Obj) -> Obj:
    md = {k: v for k, v in meta(obj).items() if k not in ("resourceVersion", "managedFields")}
    managers = sorted(
        (m.get("manager", ""), m.get("operation", ""), repr(m.get("fieldsV1")))
        for m in meta(obj).get("managedFields") or []
    )
    return {**obj, "metadata": md, "apiVersion": None, "kind": None, "_managers": managers}


class Registry:
    def __init__(self, store: Store, discovery: Discovery) -> None:
        self.store = store
        self.discovery = discovery
        self._born: dict[str, float] = {}
        self._born_lock = threading.Lock()
        self._name_counter = 0

    # -- small helpers --------------------------------------------------------------------
    def age(self, obj: Obj) -> float:
        """Seconds since the object was created here (restored objects: since restore)."""
        uid = meta(obj).get("uid", "")
        with self._born_lock:
            born = self._born.setdefault(uid, time.monotonic())
        return time.monotonic() - born

    def generate_name(self, prefix: str) -> str:
        self._name_counter += 1
        digest = hashlib.sha256(f"{prefix}{self._name_counter}".encode()).hexdigest()
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        suffix = "".join(
            alphabet[int(digest[i : i + 2], 16) % len(alphabet)] for i in range(0, 10, 2)
        )
        return f"{prefix}{suffix}"

    def namespace_state(self, namespace: str) -> str | None:
        """'Active', 'Terminating' or None when the namespace does not exist."""
        ns = self.store.peek(NAMESPACES, "", namespace)
        if ns is None:
            return None
        return "Terminating" if meta(ns).get("deletionTimestamp") else "Active"

    def default_storage_class(self) -> str | None:
        for sc in sorted(self.store.items(STORAGE_CLASSES), key=lambda o: meta(o)["name"]):
            if (meta(sc).get("annotations") or {}).get(defaults.DEFAULT_CLASS_ANNOTATION) == "true":
                return meta(sc)["name"]
        return None

    def _allocate_ip(self, obj: Obj) -> str:
        taken = {
            (s.get("spec") or {}).get("clusterIP", "") for s in self.store.items(("", "services"))
        }
        md = meta(obj)
        return defaults.service_ip(md.get("namespace", ""), md.get("name", ""), taken)

    def _defaults(self, rt: ResourceType, obj: Obj, old: Obj | None) -> None:
        ctx = defaults.DefaultsContext(old, self._allocate_ip, self.default_storage_class)
        defaults.apply_defaults(rt.key, obj, ctx)

    def _check_namespace(self, rt: ResourceType, namespace: str, name: str, creating: bool) -> None:
        if not rt.namespaced:
            return
        state = self.namespace_state(namespace)
        if state is None:
            raise errors.not_found("namespaces", "", namespace)
        if creating and state == "Terminating":
            err = errors.forbidden(
                rt.plural,
                rt.group,
                name,
                f"unable to create new content in namespace {namespace} "
                "because it is being terminated",
            )
            err.details = {
                **(err.details or {}),
                "causes": [
                    {
                        "reason": "NamespaceTerminating",
                        "message": f"namespace {namespace} is being terminated",
                        "field": "metadata.namespace",
                    }
                ],
            }
            raise err

    # -- create ---------------------------------------------------------------------------
    def prepare_create(self, rt: ResourceType, obj: Obj, namespace: str) -> Obj:
        """Validate and fill a new object (no write): what create and dry-run share.

        Takes ownership of ``obj`` (callers pass freshly parsed or freshly built dicts)."""
        if not isinstance(obj, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        obj["apiVersion"] = rt.api_version
        obj["kind"] = rt.kind
        md = obj.get("metadata")
        md = dict(md) if isinstance(md, dict) else {}
        obj["metadata"] = md
        for key in (
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "deletionTimestamp",
            "generation",
            "selfLink",
        ):
            md.pop(key, None)
        if not md.get("name") and md.get("generateName"):
            md["name"] = self.generate_name(md["generateName"])
        if not md.get("name"):
            raise errors.invalid(
                rt.kind,
                rt.group,
                "",
                [("metadata.name", "Required value: name or generateName is required")],
            )
        if rt.namespaced:
            body_ns = md.get("namespace")
            if body_ns and namespace and body_ns != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            md["namespace"] = namespace or body_ns or ""
            if not md["namespace"]:
                raise errors.bad_request("an empty namespace may not be set during creation")
        else:
            md.pop("namespace", None)
        self._check_namespace(rt, md.get("namespace", ""), md["name"], creating=True)
        if self.store.peek(rt.key, md.get("namespace", ""), md["name"]) is not None:
            raise errors.already_exists(rt.plural, rt.group, md["name"])
        md["uid"] = str(uuid.uuid4())
        md["creationTimestamp"] = now_rfc3339()
        if has_generation(rt):
            md["generation"] = 1
        if rt.has_status:
            obj.pop("status", None)
            if not rt.crd:
                obj["status"] = {}  # built-in strategies reset status to its empty struct
        self._defaults(rt, obj, None)
        validate(rt, obj)
        return obj

    def create(
        self,
        rt: ResourceType,
        obj: Obj,
        namespace: str = "",
        manager: str = "",
        operation: str = "Update",
        dry_run: bool = False,
        admit: Callable[[Obj], None] | None = None,
        fields: dict[str, Any] | None = None,
    ) -> Obj:
        """Create; ``admit`` runs after validation and defaulting, before the write."""
        with self.store.lock:
            obj = self.prepare_create(rt, obj, namespace)
            if admit is not None:
                admit(obj)
            if manager:
                owned = fields if fields is not None else fields_of(obj)
                record_manager(obj, manager, operation, owned, rt.api_version, now_rfc3339())
            if dry_run:
                return obj
            with self._born_lock:
                self._born[meta(obj)["uid"]] = time.monotonic()
            return self.store.commit(rt.key, obj, "ADDED")

    # -- update ---------------------------------------------------------------------------
    def get(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        obj = self.store.peek(rt.key, namespace if rt.namespaced else "", name)
        if obj is None:
            raise errors.not_found(rt.plural, rt.group, name)
        return obj

    def update(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        new: Obj,
        subresource: str = "",
        manager: str = "",
        operation: str = "Update",
        fields: dict[str, Any] | None = None,
        dry_run: bool = False,
        check_rv: bool = True,
        admit: Callable[[Obj], None] | None = None,
    ) -> Obj:
        """Replace an object (PUT semantics); patches compute ``new`` first."""
        with self.store.lock:
            namespace = namespace if rt.namespaced else ""
            current = self.get(rt, namespace, name)
            if not isinstance(new, dict):
                raise errors.bad_request("the body of the request was in an unknown format")
            new_md: dict[str, Any] = (
                new["metadata"] if isinstance(new.get("metadata"), dict) else {}
            )
            if new_md.get("name") and new_md["name"] != name:
                raise errors.bad_request(
                    f"the name of the object ({new_md['name']}) does not match "
                    f"the name on the URL ({name})"
                )
            wanted_rv = new_md.get("resourceVersion")
            if check_rv and wanted_rv and wanted_rv != meta(current).get("resourceVersion"):
                raise errors.conflict(
                    rt.plural,
                    rt.group,
                    name,
                    "the object has been modified; please apply your changes "
                    "to the latest version and try again",
                )
            result = self._merge_update(rt, current, new, subresource)
            if manager:
                record_manager(
                    result,
                    manager,
                    operation,
                    fields if fields is not None else fields_of(new),
                    rt.api_version,
                    now_rfc3339(),
                    subresource if subresource == "status" else "",
                )
            if admit is not None:
                admit(result)
            if _comparable(result) == _comparable(current):
                return current
            if dry_run:
                return result
            md = meta(result)
            if md.get("deletionTimestamp") and not md.get("finalizers") and rt.key != NAMESPACES:
                return self.store.commit(rt.key, result, "DELETED", current)
            return self.store.commit(rt.key, result, "MODIFIED", current)

    def _merge_update(self, rt: ResourceType, current: Obj, new: Obj, subresource: str) -> Obj:
        cur_md = meta(current)
        if subresource == "status":
            # Stored objects are never mutated, so untouched parts can be shared; the
            # metadata dict is the one part the commit writes into, so it gets a copy.
            result = dict(current)
            result["metadata"] = copy.deepcopy(cur_md)
            if "status" in new:
                result["status"] = copy.deepcopy(new["status"])
            return result
        result = dict(new)  # the caller owns ``new``; nested parts may be shared
        result["apiVersion"] = rt.api_version
        result["kind"] = rt.kind
        md = dict(result.get("metadata") or {})
        for key in (
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ):
            if key in cur_md:
                md[key] = cur_md[key]
            else:
                md.pop(key, None)
        if not md.get("managedFields") and cur_md.get("managedFields"):
            md["managedFields"] = copy.deepcopy(cur_md["managedFields"])
        result["metadata"] = md
        if rt.has_status:
            if "status" in current:
                result["status"] = copy.deepcopy(current["status"])
            else:
                result.pop("status", None)
        self._defaults(rt, result, current)
        validate(rt, result)
        if has_generation(rt) and _spec_part(result) != _spec_part(current):
            md["generation"] = int(cur_md.get("generation") or 1) + 1
        return result

    def write_status(self, rt: ResourceType, obj: Obj, status: Obj) -> Obj:
        """Controller helper: replace ``.status`` if it changed."""
        if obj.get("status") == status:
            return obj
        md = meta(obj)
        return self.update(
            rt,
            md.get("namespace", ""),
            md["name"],
            {"status": status},
            subresource="status",
            check_rv=False,
        )

    # -- delete ---------------------------------------------------------------------------
    def delete(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        propagation: str = "Background",
        dry_run: bool = False,
        uid: str | None = None,
        admit: Callable[[Obj], None] | None = None,
    ) -> Obj:
        with self.store.lock:
            namespace = namespace if rt.namespaced else ""
            current = self.get(rt, namespace, name)
            md = meta(current)
            if uid and md.get("uid") != uid:
                raise errors.conflict(
                    rt.plural,
                    rt.group,
                    name,
                    f"Precondition failed: UID in precondition: {uid}, "
                    f"UID in object meta: {md.get('uid')}",
                )
            if admit is not None:
                admit(current)
            if dry_run:
                return current
            if md.get("deletionTimestamp"):
                return current
            if rt.key == NAMESPACES or md.get("finalizers"):
                marked = copy.deepcopy(current)
                marked["metadata"]["deletionTimestamp"] = now_rfc3339()
                marked["metadata"]["deletionGracePeriodSeconds"] = 0
                if rt.key == NAMESPACES:
                    marked.setdefault("status", {})["phase"] = "Terminating"
                return self.store.commit(rt.key, marked, "MODIFIED", current)
            if propagation == "Orphan":
                self._orphan(md.get("uid", ""))
            elif propagation == "Foreground":
                self.delete_dependents(md.get("uid", ""))
            gone = copy.deepcopy(current)
            return self.store.commit(rt.key, gone, "DELETED", current)

    def _orphan(self, owner_uid: str) -> None:
        for key, ns, name in self.store.dependents(owner_uid):
            obj = self.store.peek(key, ns, name)
            if obj is None:
                continue
            kept = copy.deepcopy(obj)
            kept["metadata"]["ownerReferences"] = [
                r for r in meta(obj).get("ownerReferences") or [] if r.get("uid") != owner_uid
            ]
            self.store.commit(key, kept, "MODIFIED", obj)

    def delete_dependents(self, owner_uid: str) -> None:
        """Garbage-collect objects whose every owner is gone (background GC)."""
        for key, ns, name in self.store.dependents(owner_uid):
            obj = self.store.peek(key, ns, name)
            rt = self.discovery.any_version(*key)
            if obj is None or rt is None:
                continue
            owners = meta(obj).get("ownerReferences") or []
            alive = [r for r in owners if r.get("uid") != owner_uid and self._owner_exists(r, ns)]
            if alive:
                continue
            try:
                self.delete(rt, ns, name)
            except errors.ApiError:
                pass

    def _owner_exists(self, ref: dict[str, Any], namespace: str) -> bool:
        api_version = ref.get("apiVersion", "")
        rt = self.discovery.by_kind(api_version, ref.get("kind", ""))
        if rt is None:
            return False
        obj = self.store.peek(rt.key, namespace if rt.namespaced else "", ref.get("name", ""))
        return obj is not None and meta(obj).get("uid") == ref.get("uid")
