"""Sub-resources beyond ``/status``: ``proxy`` (services and pods), ``log``,
``portforward``, ``scale``, ``eviction`` and ``binding``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from kfwizard.emulator.kube import errors, patch
from kfwizard.emulator.kube.selectors import selector_string
from kfwizard.emulator.kube.store import Obj, meta
from kfwizard.emulator.kube.wire import (
    HTTP_VERBS,
    PATCH_TYPES,
    PortForwardPlan,
    Reply,
    Request,
    Target,
)

if TYPE_CHECKING:
    from kfwizard.emulator.kube.rest import RestApi


def handle(api: RestApi, req: Request, target: Target) -> Reply | PortForwardPlan:
    rt, sub = target.rt, target.sub
    cluster = api.cluster
    if sub == "proxy":
        cluster.stats.count(HTTP_VERBS.get(req.method, "get"), f"{rt.plural}/proxy")
        return cluster.proxy.handle(rt, target.namespace, target.name, target.rest, req)
    if sub == "scale":
        return _scale(api, req, target)
    obj = cluster.registry.get(rt, target.namespace, target.name)
    if sub == "log" and req.method == "GET":
        cluster.stats.count("get", "pods/log")
        text = cluster.logs.read(
            obj,
            req.query.get("container"),
            int(req.query["tailLines"]) if req.query.get("tailLines") else None,
            req.flag("previous"),
        )
        return Reply(200, text.encode(), "text/plain")
    if sub == "portforward" and req.method in ("GET", "POST"):
        cluster.stats.count("get", "pods/portforward")
        ports = [int(p) for p in req.query.get("ports", "").split(",") if p.strip().isdigit()]
        if not ports:
            raise errors.bad_request("at least 1 port must be specified")
        if (obj.get("status") or {}).get("phase") != "Running":
            raise errors.bad_request(
                f"unable to upgrade connection: pod {target.name} is not running"
            )
        return PortForwardPlan(obj, ports)
    if sub == "eviction" and req.method == "POST":
        cluster.stats.count("create", "pods/eviction")
        cluster.registry.delete(rt, target.namespace, target.name)
        return Reply.json(201, errors.success_status())
    if sub == "binding" and req.method == "POST":
        body = patch.parse_body(req.body, req.header("content-type")) or {}
        node = ((body.get("target") or {}).get("name")) if isinstance(body, dict) else None
        new = copy.deepcopy(obj)
        new.setdefault("spec", {})["nodeName"] = node
        cluster.registry.update(rt, target.namespace, target.name, new)
        return Reply.json(201, errors.success_status())
    raise errors.bad_request(f"the emulator does not support {rt.plural}/{sub} ({req.method})")


def _scale(api: RestApi, req: Request, target: Target) -> Reply:
    rt = target.rt
    registry = api.cluster.registry
    obj = registry.get(rt, target.namespace, target.name)

    def scale_of(o: Obj) -> Obj:
        md = meta(o)
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: md[k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if k in md
            },
            "spec": {"replicas": (o.get("spec") or {}).get("replicas", 1)},
            "status": {
                "replicas": (o.get("status") or {}).get("replicas", 0),
                "selector": selector_string((o.get("spec") or {}).get("selector")),
            },
        }

    if req.method == "GET":
        api.cluster.stats.count("get", f"{rt.plural}/scale")
        return Reply.json(200, scale_of(obj))
    body = patch.parse_body(req.body, req.header("content-type"))
    current = scale_of(obj)
    if req.method == "PUT":
        new_scale = body
    elif req.method == "PATCH":
        ctype = req.header("content-type").split(";", 1)[0].strip()
        kind = PATCH_TYPES.get(ctype, "merge")
        if kind == "json":
            new_scale = patch.json_patch(current, body)
        elif kind == "apply":
            new_scale = patch.merge_patch(current, body)
        else:
            new_scale = patch.merge_patch(current, body)
    else:
        raise errors.method_not_allowed()
    api.cluster.stats.count("patch" if req.method == "PATCH" else "update", f"{rt.plural}/scale")
    replicas = ((new_scale or {}).get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        raise errors.invalid(
            "Scale",
            "autoscaling",
            target.name,
            [("spec.replicas", "Invalid value: must be greater than or equal to 0")],
        )
    updated = copy.deepcopy(obj)
    updated.setdefault("spec", {})["replicas"] = replicas
    result = registry.update(
        rt, target.namespace, target.name, updated, manager=api.manager(req), check_rv=False
    )
    return Reply.json(200, scale_of(result))
