"""The REST semantics of the Kubernetes API, independent of HTTP: parse a resource path,
pick the verb, run it against the registry, and describe the answer (see ``wire.py``).
Sub-resources other than ``status`` live in ``subresources.py``.

The HTTP layer (``server.py``) turns a ``Reply`` into bytes, streams a ``WatchPlan``,
and upgrades a ``PortForwardPlan`` to a websocket.

Verb names follow the API server's (and RBAC's): get, list, watch, create, update, patch,
apply (an ``apply-patch`` PATCH), delete. ``Cluster.stats`` counts them per resource.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from kfwizard.emulator.kube import errors, patch, subresources
from kfwizard.emulator.kube.selectors import parse_field_selector, parse_label_selector
from kfwizard.emulator.kube.store import Obj, meta
from kfwizard.emulator.kube.wire import (
    PATCH_TYPES,
    PortForwardPlan,
    Reply,
    Request,
    Target,
    WatchPlan,
    view,
)

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster


class RestApi:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    # -- routing ---------------------------------------------------------------------------
    def handle(self, req: Request) -> Reply | WatchPlan | PortForwardPlan:
        try:
            return self._route(req)
        except errors.ApiError as err:
            return Reply.error(err)

    def _route(self, req: Request) -> Reply | WatchPlan | PortForwardPlan:
        path = req.path.rstrip("/") or "/"
        parts = [unquote(p) for p in path.strip("/").split("/")] if path != "/" else []
        disc = self.cluster.discovery
        count = self.cluster.stats.count
        if path in ("/version",):
            count("get", "version")
            return Reply.json(200, self.cluster.version_info())
        if path in ("/healthz", "/livez", "/readyz"):
            return Reply(200, b"ok", "text/plain")
        if path == "/api":
            count("get", "discovery")
            return Reply.json(200, disc.api_versions())
        if path == "/apis":
            count("get", "discovery")
            return Reply.json(200, disc.group_list())
        if parts[:1] == ["apis"] and len(parts) == 2:
            count("get", "discovery")
            doc = disc.group(parts[1])
            if doc is None:
                raise errors.no_route()
            return Reply.json(200, doc)
        if (parts[:1] == ["api"] and len(parts) == 2) or (
            parts[:1] == ["apis"] and len(parts) == 3
        ):
            count("get", "discovery")
            group, version = ("", parts[1]) if parts[0] == "api" else (parts[1], parts[2])
            doc = disc.resource_list(group, version)
            if doc is None:
                raise errors.no_route()
            return Reply.json(200, doc)
        if parts[:1] == ["api"] and len(parts) > 2:
            return self._resource(req, "", parts[1], parts[2:])
        if parts[:1] == ["apis"] and len(parts) > 3:
            return self._resource(req, parts[1], parts[2], parts[3:])
        raise errors.no_route()

    def _target(self, group: str, version: str, rest: list[str], watch: bool) -> Target:
        disc = self.cluster.discovery
        namespace = ""
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
            namespace, rest = rest[1], rest[2:]
        rt = disc.lookup(group, version, rest[0])
        if rt is None or (namespace and not rt.namespaced):
            raise errors.no_route()
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else ""
        if sub and sub not in rt.subresources:
            raise errors.no_route()
        tail = "/".join(rest[3:]) if len(rest) > 3 else ""
        return Target(rt, namespace, name, sub, tail)

    def _resource(
        self, req: Request, group: str, version: str, rest: list[str]
    ) -> Reply | WatchPlan | PortForwardPlan:
        watch = req.flag("watch")
        if rest and rest[0] == "watch":
            watch, rest = True, rest[1:]
            if not rest:
                raise errors.no_route()
        target = self._target(group, version, rest, watch)
        method = req.method
        if target.sub in (
            "proxy",
            "log",
            "portforward",
            "eviction",
            "binding",
            "scale",
            "exec",
            "attach",
        ):
            return subresources.handle(self, req, target)
        if watch and target.name and method == "GET" and not target.sub:
            query = dict(req.query)
            query["fieldSelector"] = ",".join(
                f for f in (query.get("fieldSelector", ""), f"metadata.name={target.name}") if f
            )
            named = Target(target.rt, target.namespace, "", "", "")
            return self._watch(Request(req.method, req.path, query, req.headers, req.body), named)
        if not target.name:
            if method == "GET":
                return self._watch(req, target) if watch else self._list(req, target)
            if method == "POST":
                return self._create(req, target)
            if method == "DELETE":
                return self._delete_collection(req, target)
            raise errors.method_not_allowed()
        if method == "GET":
            self.cluster.stats.count("get", self._resource_name(target))
            obj = self.cluster.registry.get(target.rt, target.namespace, target.name)
            if "as=Table" in req.header("accept"):
                from kfwizard.emulator.kube.table import to_table

                rv = {"resourceVersion": meta(obj).get("resourceVersion", "")}
                table = to_table(
                    target.rt, [view(target.rt, obj)], rv, req.query.get("includeObject")
                )
                return Reply.json(200, table)
            return Reply.json(200, view(target.rt, obj))
        if method == "PUT":
            return self._update(req, target)
        if method == "PATCH":
            return self._patch(req, target)
        if method == "DELETE":
            return self._delete(req, target)
        raise errors.method_not_allowed()

    @staticmethod
    def _resource_name(target: Target) -> str:
        return f"{target.rt.plural}/{target.sub}" if target.sub else target.rt.plural

    def manager(self, req: Request) -> str:
        manager = req.query.get("fieldManager", "")
        if manager:
            return manager
        agent = req.header("user-agent")
        return agent.split("/", 1)[0] if agent else "unknown"

    def _admit(self, target: Target, operation: str) -> Any:
        cluster = self.cluster
        rt = target.rt

        def admit(obj: Obj) -> None:
            ns = meta(obj).get("namespace", "") or target.namespace
            if rt.key == ("", "pods") and operation == "CREATE" and not target.sub:
                refusal = cluster.admission.pod_security(ns, obj)
                if refusal:
                    raise errors.forbidden("pods", "", meta(obj).get("name", ""), refusal)
            cluster.admission.check_webhooks(rt, operation, obj, ns, target.sub)

        return admit

    # -- collection verbs --------------------------------------------------------------------
    def _filtered(self, req: Request, target: Target) -> list[Obj]:
        labels = parse_label_selector(req.query.get("labelSelector"))
        fields = parse_field_selector(req.query.get("fieldSelector"))
        store = self.cluster.store
        items = store.items(
            target.rt.key, target.namespace if target.rt.namespaced and target.namespace else None
        )
        out = [o for o in items if labels(meta(o).get("labels") or {}) and fields(o)]
        out.sort(key=lambda o: (meta(o).get("namespace", ""), meta(o)["name"]))
        return out

    def _list(self, req: Request, target: Target) -> Reply:
        rt = target.rt
        if "list" not in rt.verbs:
            raise errors.method_not_allowed()
        self.cluster.stats.count("list", rt.plural)
        with self.cluster.store.lock:
            rv = self.cluster.store.resource_version
            items = self._filtered(req, target)
        list_meta: dict[str, Any] = {"resourceVersion": str(rv)}
        cont = req.query.get("continue")
        if cont:
            try:
                start = json.loads(base64.urlsafe_b64decode(cont.encode()).decode())["start"]
            except (ValueError, KeyError) as exc:
                raise errors.bad_request("continue key is not valid") from exc
            items = [o for o in items if [meta(o).get("namespace", ""), meta(o)["name"]] > start]
        limit = int(req.query.get("limit") or 0)
        if limit and len(items) > limit:
            last = items[limit - 1]
            token = {"start": [meta(last).get("namespace", ""), meta(last)["name"]]}
            list_meta["continue"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()
            list_meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        shown = [view(rt, o) for o in items]
        if "as=Table" in req.header("accept"):
            from kfwizard.emulator.kube.table import to_table

            return Reply.json(200, to_table(rt, shown, list_meta, req.query.get("includeObject")))
        body = {
            "kind": f"{rt.kind}List",
            "apiVersion": rt.api_version,
            "metadata": list_meta,
            "items": shown,
        }
        return Reply.json(200, body)

    def _watch(self, req: Request, target: Target) -> WatchPlan:
        rt = target.rt
        self.cluster.stats.count("watch", rt.plural)
        labels = parse_label_selector(req.query.get("labelSelector"))
        fields = parse_field_selector(req.query.get("fieldSelector"))

        def match(obj: Obj) -> bool:
            return labels(meta(obj).get("labels") or {}) and fields(obj)

        raw_rv = req.query.get("resourceVersion", "")
        initial_events = req.flag("sendInitialEvents")
        since = None if raw_rv in ("", "0") or initial_events else _parse_rv(raw_rv)
        namespace = target.namespace if rt.namespaced and target.namespace else None
        watcher, initial = self.cluster.store.watch(rt.key, namespace, match, since)
        timeout = req.query.get("timeoutSeconds")
        bookmark = self.cluster.store.resource_version if initial_events else None
        return WatchPlan(watcher, initial, rt, float(timeout) if timeout else None, bookmark)

    def _create(self, req: Request, target: Target) -> Reply:
        rt = target.rt
        body = patch.parse_body(req.body, req.header("content-type"))
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        self.cluster.stats.count("create", rt.plural)
        if rt.virtual or rt.key == ("", "bindings"):
            return Reply.json(201, self.cluster.reviews.answer(rt, body, target.namespace))
        dry = req.query.get("dryRun") == "All"
        obj = self.cluster.registry.create(
            rt,
            body,
            target.namespace,
            manager=self.manager(req),
            dry_run=dry,
            admit=self._admit(target, "CREATE"),
        )
        return Reply.json(201, view(rt, obj))

    def _delete_collection(self, req: Request, target: Target) -> Reply:
        rt = target.rt
        if "deletecollection" not in rt.verbs:
            raise errors.method_not_allowed()
        self.cluster.stats.count("delete", rt.plural)
        deleted = []
        with self.cluster.store.lock:
            for obj in self._filtered(req, target):
                md = meta(obj)
                try:
                    deleted.append(
                        self.cluster.registry.delete(
                            rt,
                            md.get("namespace", ""),
                            md["name"],
                            admit=self._admit(target, "DELETE"),
                        )
                    )
                except errors.ApiError:
                    continue
        body = {
            "kind": f"{rt.kind}List",
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(self.cluster.store.resource_version)},
            "items": [view(rt, o) for o in deleted],
        }
        return Reply.json(200, body)

    # -- item verbs --------------------------------------------------------------------------
    def _update(self, req: Request, target: Target) -> Reply:
        rt = target.rt
        self.cluster.stats.count("update", self._resource_name(target))
        body = patch.parse_body(req.body, req.header("content-type"))
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        if target.sub and target.sub not in ("status", "finalize", "approval"):
            raise errors.method_not_allowed()
        if target.sub == "finalize":
            current = self.cluster.registry.get(rt, target.namespace, target.name)
            body = {
                **copy.deepcopy(current),
                "spec": {
                    **(current.get("spec") or {}),
                    "finalizers": (body.get("spec") or {}).get("finalizers") or [],
                },
            }
        sub = "status" if target.sub in ("status", "approval") else ""
        obj = self.cluster.registry.update(
            rt,
            target.namespace,
            target.name,
            body,
            subresource=sub,
            manager=self.manager(req),
            dry_run=req.query.get("dryRun") == "All",
            admit=self._admit(target, "UPDATE"),
        )
        return Reply.json(200, view(rt, obj))

    def _patch(self, req: Request, target: Target) -> Reply:
        rt = target.rt
        ctype = req.header("content-type").split(";", 1)[0].strip().lower()
        kind = PATCH_TYPES.get(ctype)
        if kind is None or (kind == "strategic" and rt.crd):
            raise errors.ApiError(
                415,
                "the body of the request was in an unknown format - accepted media types include: "
                "application/json-patch+json, application/merge-patch+json, "
                "application/apply-patch+yaml"
                + ("" if rt.crd else ", application/strategic-merge-patch+json"),
            )
        if target.sub and target.sub != "status":
            raise errors.method_not_allowed()
        body = patch.parse_body(req.body, ctype)
        registry = self.cluster.registry
        dry = req.query.get("dryRun") == "All"
        manager = self.manager(req)
        verb = "apply" if kind == "apply" else "patch"
        self.cluster.stats.count(verb, self._resource_name(target))
        with self.cluster.store.lock:
            current = self.cluster.store.peek(
                rt.key, target.namespace if rt.namespaced else "", target.name
            )
            if kind == "apply":
                return self._apply(req, target, body, current, dry)
            if current is None:
                raise errors.not_found(rt.plural, rt.group, target.name)
            shown = view(rt, current)
            if kind == "json":
                new = patch.json_patch(shown, body)
            elif kind == "merge":
                new = patch.merge_patch(shown, body)
            else:
                new = patch.strategic_merge_patch(shown, body)
            fields = patch.fields_of(body) if isinstance(body, dict) else {}
            obj = registry.update(
                rt,
                target.namespace,
                target.name,
                new,
                subresource=target.sub,
                manager=manager,
                fields=fields,
                dry_run=dry,
                admit=self._admit(target, "UPDATE"),
            )
        return Reply.json(200, view(rt, obj))

    def _apply(
        self, req: Request, target: Target, body: Any, current: Obj | None, dry: bool
    ) -> Reply:
        rt = target.rt
        manager = req.query.get("fieldManager", "")
        if not manager:
            raise errors.invalid(
                "PatchOptions",
                "meta.k8s.io",
                "",
                [("fieldManager", "Required value: is required for apply patch")],
            )
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        if body.get("kind") and body["kind"] != rt.kind:
            raise errors.bad_request(
                f"the kind in the data ({body['kind']}) does not match "
                f"the expected kind ({rt.kind})"
            )
        body_md: dict[str, Any] = body["metadata"] if isinstance(body.get("metadata"), dict) else {}
        if body_md.get("name") and body_md["name"] != target.name:
            raise errors.bad_request(
                f"the name of the object ({body_md['name']}) does not match "
                f"the name on the URL ({target.name})"
            )
        applied = body  # freshly parsed: ours to change
        applied.setdefault("metadata", {})
        applied["metadata"] = dict(applied["metadata"] or {})
        applied["metadata"]["name"] = target.name
        if not rt.namespaced:
            applied["metadata"].pop("namespace", None)
        for key in ("creationTimestamp", "resourceVersion", "uid", "managedFields"):
            if applied["metadata"].get(key) is None:
                applied["metadata"].pop(key, None)
        owned = patch.fields_of(applied)
        if current is None:
            if target.sub:
                raise errors.not_found(rt.plural, rt.group, target.name)
            obj = self.cluster.registry.create(
                rt,
                applied,
                target.namespace,
                manager=manager,
                operation="Apply",
                dry_run=dry,
                admit=self._admit(target, "CREATE"),
                fields=owned,
            )
            return Reply.json(201, view(rt, obj))
        merged = patch.server_side_apply(view(rt, current), applied, manager)
        obj = self.cluster.registry.update(
            rt,
            target.namespace,
            target.name,
            merged,
            subresource=target.sub,
            manager=manager,
            operation="Apply",
            fields=owned,
            dry_run=dry,
            check_rv=False,
            admit=self._admit(target, "UPDATE"),
        )
        return Reply.json(200, view(rt, obj))

    def _delete(self, req: Request, target: Target) -> Reply:
        rt = target.rt
        self.cluster.stats.count("delete", rt.plural)
        options = patch.parse_body(req.body, req.header("content-type")) if req.body else None
        options = options if isinstance(options, dict) else {}
        propagation = req.query.get("propagationPolicy") or options.get("propagationPolicy")
        if not propagation and options.get("orphanDependents") is True:
            propagation = "Orphan"
        uid = ((options.get("preconditions") or {}).get("uid")) or None
        dry = req.query.get("dryRun") == "All" or options.get("dryRun") == ["All"]
        obj = self.cluster.registry.delete(
            rt,
            target.namespace,
            target.name,
            propagation=propagation or "Background",
            dry_run=dry,
            uid=uid,
            admit=self._admit(target, "DELETE"),
        )
        still_there = self.cluster.store.peek(
            rt.key, target.namespace if rt.namespaced else "", target.name
        )
        if still_there is not None and not dry:
            return Reply.json(202 if rt.key != ("", "namespaces") else 200, view(rt, still_there))
        if rt.key == ("", "pods") or rt.crd:
            return Reply.json(200, view(rt, obj))
        details: dict[str, Any] = {"name": target.name}
        if rt.group:
            details["group"] = rt.group
        details["kind"] = rt.plural
        details["uid"] = meta(obj).get("uid", "")
        return Reply.json(200, errors.success_status(details))


def _parse_rv(raw: str) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise errors.bad_request(f"invalid resource version: {raw!r}") from exc
