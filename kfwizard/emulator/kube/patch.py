"""The four PATCH flavours the API server accepts, plus the field-ownership bookkeeping
that server-side apply needs to remove fields a manager stopped applying.

- JSON merge patch (RFC 7386): maps merge, ``null`` deletes, lists are replaced.
- Strategic merge patch: like merge patch, but lists of objects merge by their key
  (containers by ``name``, ports by ``containerPort``/``port``...), ``finalizers`` merge
  as a set, and the ``$patch``/``$deleteFromPrimitiveList``/``$retainKeys`` directives
  that kubectl's client-side apply sends are honoured. Keys are chosen by field name,
  which is how the built-in types declare them; custom resources use merge-patch
  semantics, as on a real server.
- JSON patch (RFC 6902): add/remove/replace/move/copy/test.
- Server-side apply: create-or-merge; lists are atomic (replaced), maps merge, and
  fields the same manager applied last time but no longer sends are removed. Conflicts
  between managers are not detected (every apply behaves as if forced).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from kfwizard.emulator.kube.errors import ApiError, bad_request

_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "taints": "key",
    "addresses": "type",
}
_PRIMITIVE_SET_FIELDS = {"finalizers"}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _list_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        sample = next((i for i in items if isinstance(i, dict)), {})
        return "containerPort" if "containerPort" in sample else "port"
    return _MERGE_KEYS.get(field)


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            result[name] = [v for v in result.get(name) or [] if v not in (value or [])]
            continue
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value)
        else:
            merged = strategic_merge_patch(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
    if isinstance(retain, list):
        for key in list(result):
            if key not in retain:
                result.pop(key)
    return result


def _merge_list(field: str, current: Any, patch: list[Any]) -> list[Any]:
    current = current if isinstance(current, list) else []
    if field in _PRIMITIVE_SET_FIELDS:
        merged = list(current)
        merged.extend(v for v in patch if v not in merged)
        return merged
    key = _list_key(field, patch + current)
    if not key or not all(isinstance(i, dict) for i in patch):
        return [copy.deepcopy(v) for v in patch if not (isinstance(v, dict) and "$patch" in v)]
    if any(i.get("$patch") == "replace" for i in patch):
        return [copy.deepcopy(i) for i in patch if "$patch" not in i]
    merged = [copy.deepcopy(i) for i in current]
    for item in patch:
        pos = next(
            (
                n
                for n, cur in enumerate(merged)
                if isinstance(cur, dict) and cur.get(key) == item.get(key)
            ),
            None,
        )
        if item.get("$patch") == "delete":
            if pos is not None:
                merged.pop(pos)
            continue
        if pos is None:
            merged.append(strategic_merge_patch({}, item))
        else:
            merged[pos] = strategic_merge_patch(merged[pos], item)
    return merged


# -- JSON patch -------------------------------------------------------------------------


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    node = doc
    for part in parts:
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node[part]
        else:
            raise KeyError(part)
    return node


def _remove(doc: Any, parts: list[str]) -> Any:
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        return parent.pop(int(last))
    return parent.pop(last)


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            parent.insert(int(last), value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise KeyError(last)
    return doc


def json_patch(target: Any, ops: Any) -> Any:
    if not isinstance(ops, list):
        raise bad_request("json patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        try:
            kind = op["op"]
            parts = _pointer(op.get("path", ""))
            if kind == "add":
                doc = _add(doc, parts, copy.deepcopy(op["value"]))
            elif kind == "remove":
                _remove(doc, parts)
            elif kind == "replace":
                _walk(doc, parts)  # must exist
                if parts:
                    _remove(doc, parts)
                doc = _add(doc, parts, copy.deepcopy(op["value"]))
            elif kind in ("move", "copy"):
                source = _pointer(op["from"])
                value = copy.deepcopy(_walk(doc, source))
                if kind == "move":
                    _remove(doc, source)
                doc = _add(doc, parts, value)
            elif kind == "test":
                if _walk(doc, parts) != op.get("value"):
                    raise ApiError(
                        422,
                        "the server rejected our request due to an error in our request: "
                        f"test failed at {op.get('path')}",
                        reason="Invalid",
                    )
            else:
                raise bad_request(f"unexpected json patch operation {kind!r}")
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise ApiError(
                422,
                f"the server rejected our request due to an error in our request: {exc}",
                reason="Invalid",
            ) from exc
    return doc


# -- server-side apply ------------------------------------------------------------------

_UNOWNED_META = {
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
}


def fields_of(obj: Any, top: bool = True) -> dict[str, Any]:
    """A FieldsV1-style tree (``{"f:spec": {"f:replicas": {}}}``) of the fields set."""
    if not isinstance(obj, dict):
        return {}
    tree: dict[str, Any] = {}
    for key, value in obj.items():
        if top and key in ("apiVersion", "kind"):
            continue
        if top and key == "metadata" and isinstance(value, dict):
            meta = {k: v for k, v in value.items() if k not in _UNOWNED_META}
            sub = fields_of(meta, top=False)
            if sub:
                tree["f:metadata"] = sub
            continue
        tree[f"f:{key}"] = fields_of(value, top=False) if isinstance(value, dict) else {}
    return tree


def _pruned(obj: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without what ``old`` owned and ``new`` no longer does (copy on write:
    untouched subtrees are shared with ``obj``)."""
    result = obj
    for fkey, old_sub in old.items():
        if not fkey.startswith("f:"):
            continue
        key = fkey[2:]
        if key not in obj:
            continue
        if fkey not in new:
            replacement = None
        elif old_sub and isinstance(obj[key], dict):
            replacement = _pruned(obj[key], old_sub, new.get(fkey) or {})
            if replacement is obj[key]:
                continue
        else:
            continue
        if result is obj:
            result = dict(obj)
        if replacement is None:
            del result[key]
        else:
            result[key] = replacement
    return result


def _apply_merge(target: Any, applied: Any) -> Any:
    """Maps merge; anything else is taken from ``applied`` (which the caller owns)."""
    if not isinstance(applied, dict) or not isinstance(target, dict):
        return applied
    result = dict(target)
    for key, value in applied.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _apply_merge(result.get(key), value)
    return result


def server_side_apply(
    current: dict[str, Any], applied: dict[str, Any], manager: str
) -> dict[str, Any]:
    """Merge an applied configuration into ``current`` for ``manager``.

    ``current`` is not modified (unchanged subtrees are shared with the result);
    ``applied`` is consumed (its values end up in the result)."""
    previous = next(
        (
            m.get("fieldsV1") or {}
            for m in (current.get("metadata") or {}).get("managedFields") or []
            if m.get("manager") == manager and m.get("operation") == "Apply"
        ),
        None,
    )
    base = _pruned(current, previous, fields_of(applied)) if previous else current
    return _apply_merge(base, applied)


def record_manager(
    obj: dict[str, Any],
    manager: str,
    operation: str,
    fields: dict[str, Any],
    api_version: str,
    now: str,
    subresource: str = "",
) -> None:
    """Add or replace this manager's managedFields entry (in place)."""
    meta = obj.setdefault("metadata", {})
    entries = [
        m
        for m in meta.get("managedFields") or []
        if not (
            m.get("manager") == manager
            and m.get("operation") == operation
            and m.get("subresource", "") == subresource
        )
    ]
    entry: dict[str, Any] = {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }
    if subresource:
        entry["subresource"] = subresource
    entries.append(entry)
    meta["managedFields"] = entries


def parse_body(raw: bytes, content_type: str) -> Any:
    """JSON, or YAML for ``application/apply-patch+yaml`` / ``application/yaml``, or
    protobuf for the reviews kubectl sends so (see ``protobuf``).

    JSON is tried first even for the YAML types: kubectl sends apply patches as JSON,
    and the pure-Python YAML parser takes seconds on a 600 KB CRD.
    """
    if not raw:
        return None
    from kfwizard.emulator.kube import protobuf

    if protobuf.is_protobuf(content_type):
        return protobuf.decode_object(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request(f"couldn't get version/kind; the body is not UTF-8: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if "yaml" not in content_type:
            raise bad_request(f"couldn't get version/kind; json parse error: {exc}") from exc
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise bad_request(f"error decoding YAML: {exc}") from exc
