"""The object store: current objects, the global resourceVersion counter, the event log
that watches replay from, and the fan-out to open watches and to the controllers.

Why one lock and immutable objects: every write (an API request or a controller) runs
under ``Store.lock``, and a stored dict is never mutated afterwards, so readers can
serialise objects outside the lock without copying. Writers build a fresh dict and hand
it to :meth:`Store.commit`, which stamps ``metadata.resourceVersion``.

Watch semantics follow the real server: events after a given resourceVersion are
replayed from the log (410 Gone once the log no longer reaches back that far), and a
watch with a selector sees ADDED/DELETED when an object starts/stops matching.
"""

from __future__ import annotations

import copy
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kfwizard.emulator.kube.errors import ApiError

Key = tuple[str, str]  # (group, plural)
Obj = dict[str, Any]


@dataclass(frozen=True)
class Event:
    rv: int
    type: str  # ADDED | MODIFIED | DELETED
    key: Key
    obj: Obj
    old: Obj | None


def meta(obj: Obj) -> dict[str, Any]:
    return obj.get("metadata") or {}


class Watcher:
    """One open watch: a queue of (type, object) for the connection's thread."""

    def __init__(self, key: Key, namespace: str | None, match: Callable[[Obj], bool]) -> None:
        self.key = key
        self.namespace = namespace
        self.match = match
        self.queue: queue.SimpleQueue[tuple[str, Obj] | None] = queue.SimpleQueue()

    def _in_scope(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        if self.namespace is not None and meta(obj).get("namespace", "") != self.namespace:
            return False
        return self.match(obj)

    def translate(self, event: Event) -> tuple[str, Obj] | None:
        if event.key != self.key:
            return None
        now = self._in_scope(event.obj)
        if event.type == "DELETED":
            return ("DELETED", event.obj) if now else None
        before = self._in_scope(event.old) if event.type == "MODIFIED" else False
        if now and before:
            return ("MODIFIED", event.obj)
        if now:
            return ("ADDED", event.obj)
        if before:
            return ("DELETED", event.obj)
        return None

    def offer(self, event: Event) -> None:
        item = self.translate(event)
        if item is not None:
            self.queue.put(item)

    def close(self) -> None:
        self.queue.put(None)


class Store:
    def __init__(self, log_size: int = 200_000) -> None:
        self.lock = threading.RLock()
        self._data: dict[Key, dict[str, dict[str, Obj]]] = {}
        self._rv = 0
        self._log: deque[Event] = deque(maxlen=log_size)
        self._truncated_before = 0
        self._watchers: set[Watcher] = set()
        self._owners: dict[str, set[tuple[Key, str, str]]] = {}
        self.listeners: list[Callable[[Event], None]] = []
        self.resolve: Callable[[str, str], Key | None] = lambda api_version, kind: None
        """Set by the emulator: (apiVersion, kind) -> storage key, for the test helpers."""

    # -- reads (no copies: stored objects are immutable) ---------------------------------
    @property
    def resource_version(self) -> int:
        return self._rv

    def peek(self, key: Key, namespace: str, name: str) -> Obj | None:
        return self._data.get(key, {}).get(namespace or "", {}).get(name)

    def items(self, key: Key, namespace: str | None = None) -> list[Obj]:
        by_ns = self._data.get(key, {})
        with self.lock:
            if namespace is not None:
                return list(by_ns.get(namespace, {}).values())
            return [obj for objs in list(by_ns.values()) for obj in list(objs.values())]

    def keys(self) -> list[Key]:
        return list(self._data)

    def dependents(self, owner_uid: str) -> list[tuple[Key, str, str]]:
        return sorted(self._owners.get(owner_uid, ()))

    def all_objects(self) -> Iterator[tuple[Key, Obj]]:
        with self.lock:
            for key, by_ns in list(self._data.items()):
                for objs in list(by_ns.values()):
                    for obj in list(objs.values()):
                        yield key, obj

    # -- writes ---------------------------------------------------------------------------
    def commit(self, key: Key, obj: Obj, event_type: str, old: Obj | None = None) -> Obj:
        """Store (or, for DELETED, remove) ``obj`` under a new resourceVersion."""
        with self.lock:
            self._rv += 1
            md = obj.setdefault("metadata", {})
            md["resourceVersion"] = str(self._rv)
            ns, name = md.get("namespace", "") or "", md["name"]
            bucket = self._data.setdefault(key, {}).setdefault(ns, {})
            previous = bucket.get(name)
            if previous is not None:
                self._unindex(key, previous)
            if event_type == "DELETED":
                bucket.pop(name, None)
                if not bucket:
                    self._data[key].pop(ns, None)
            else:
                bucket[name] = obj
                self._index(key, obj)
            if len(self._log) == self._log.maxlen:
                self._truncated_before = self._log[0].rv
            event = Event(self._rv, event_type, key, obj, old if old is not None else previous)
            self._log.append(event)
            for watcher in list(self._watchers):
                watcher.offer(event)
            for listener in self.listeners:
                listener(event)
            return obj

    def _index(self, key: Key, obj: Obj) -> None:
        md = meta(obj)
        for ref in md.get("ownerReferences") or []:
            uid = ref.get("uid")
            if uid:
                self._owners.setdefault(uid, set()).add((key, md.get("namespace", ""), md["name"]))

    def _unindex(self, key: Key, obj: Obj) -> None:
        md = meta(obj)
        for ref in md.get("ownerReferences") or []:
            refs = self._owners.get(ref.get("uid", ""))
            if refs:
                refs.discard((key, md.get("namespace", ""), md["name"]))
                if not refs:
                    self._owners.pop(ref.get("uid", ""), None)

    # -- watches --------------------------------------------------------------------------
    def watch(
        self,
        key: Key,
        namespace: str | None,
        match: Callable[[Obj], bool],
        since: int | None,
    ) -> tuple[Watcher, list[tuple[str, Obj]]]:
        """Open a watch; returns it with the events to send first.

        ``since=None`` means "current state as synthetic ADDED events, then changes".
        """
        watcher = Watcher(key, namespace, match)
        with self.lock:
            initial: list[tuple[str, Obj]] = []
            if since is None:
                for obj in self.items(key, namespace):
                    if match(obj):
                        initial.append(("ADDED", obj))
                initial.sort(key=lambda item: int(meta(item[1]).get("resourceVersion", "0")))
            else:
                if since < self._truncated_before:
                    raise ApiError(
                        410,
                        f"too old resource version: {since} ({self._truncated_before})",
                        reason="Expired",
                    )
                for event in self._log:
                    if event.rv > since:
                        item = watcher.translate(event)
                        if item is not None:
                            initial.append(item)
            self._watchers.add(watcher)
        return watcher, initial

    def unwatch(self, watcher: Watcher) -> None:
        with self.lock:
            self._watchers.discard(watcher)

    def close_watches(self) -> None:
        with self.lock:
            for watcher in list(self._watchers):
                watcher.close()
            self._watchers.clear()

    # -- persistence ----------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        with self.lock:
            objects = [
                {"group": key[0], "resource": key[1], "object": obj}
                for key, obj in self.all_objects()
            ]
            return {"resourceVersion": self._rv, "objects": copy.deepcopy(objects)}

    def load(self, data: dict[str, Any]) -> None:
        """Replace the contents (no events are emitted: restored state is 'old news')."""
        with self.lock:
            self._data.clear()
            self._owners.clear()
            self._log.clear()
            for entry in data.get("objects") or []:
                key = (entry["group"], entry["resource"])
                obj = copy.deepcopy(entry["object"])
                md = meta(obj)
                self._data.setdefault(key, {}).setdefault(md.get("namespace", "") or "", {})[
                    md["name"]
                ] = obj
                self._index(key, obj)
            self._rv = int(data.get("resourceVersion") or 0)
            self._truncated_before = self._rv

    # -- helpers for tests ----------------------------------------------------------------
    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        """A copy of one object, with ``apiVersion`` as asked (None if absent)."""
        key = self.resolve(api_version, kind)
        if key is None:
            return None
        obj = self.peek(key, namespace or "", name)
        if obj is None:
            return None
        return {**copy.deepcopy(obj), "apiVersion": api_version, "kind": kind}

    def list(self, api_version: str, kind: str, namespace: str | None = None) -> list[Obj]:
        key = self.resolve(api_version, kind)
        if key is None:
            return []
        objs = sorted(
            self.items(key, namespace),
            key=lambda o: (meta(o).get("namespace", ""), meta(o)["name"]),
        )
        return [{**copy.deepcopy(o), "apiVersion": api_version, "kind": kind} for o in objs]
