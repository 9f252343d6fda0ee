"""Values asked at apply time and written only into Secrets: kfp-gcp's Cloud SQL password.

Such a value is never an answer, and never in the session file, the log or the rendered
files on disk. The manifests step records only where it goes (``secret_inputs``:
namespace, name, key and the prompt); the apply step fills it into a copy of the Secret
just before applying, so the rendered set (and its fingerprint, which tells whether the
install is still in place) stays as rendered. Headless runs read it from an environment
variable or ask at the terminal; the wizard asks in a dialog. Either way it is registered
with the redactor first, so no log line or failure message can carry it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kfwizard.engine.errors import StepFailed
from kfwizard.engine.redact import register_secret
from kfwizard.manifests.objects import Manifest

CLOUDSQL_PASSWORD_ENV = "KFWIZARD_CLOUDSQL_PASSWORD"
"""Where a headless run (or a wizard started with it set) finds the Cloud SQL password."""

Ask = Callable[["SecretInput"], "str | None"]
"""Asks the person for an item's value; None when they would not or cannot say."""


@dataclass(frozen=True)
class SecretInput:
    """One value a Secret needs that only the person knows."""

    namespace: str
    name: str
    key: str
    prompt: str
    env: str = CLOUDSQL_PASSWORD_ENV

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SecretInput:
        return cls(
            namespace=str(data["namespace"]),
            name=str(data["name"]),
            key=str(data["key"]),
            prompt=str(data.get("prompt") or f"{data['key']} for Secret {data['name']}"),
            env=str(data.get("env") or CLOUDSQL_PASSWORD_ENV),
        )

    def to_json(self) -> dict[str, str]:
        return dataclasses.asdict(self)

    def where(self) -> str:
        return f"Secret {self.namespace}/{self.name} (key {self.key})"

    def matches(self, obj: Mapping[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        return (
            obj.get("kind") == "Secret"
            and meta.get("name") == self.name
            and (meta.get("namespace") or self.namespace) == self.namespace
        )


def secret_inputs(manifests_output: Mapping[str, Any]) -> list[SecretInput]:
    """What the manifests step recorded as asked at apply time (none for most modes)."""
    return [SecretInput.from_json(item) for item in manifests_output.get("secret_inputs") or []]


def collect(
    items: Iterable[SecretInput],
    env: Mapping[str, str],
    ask: Ask | None,
    check_cancel: Callable[[], None] | None = None,
) -> list[str]:
    """Each item's value, from its environment variable or else by asking; registered
    with the redactor before anything can log it.

    An empty value counts when given on purpose (a variable set to ""): some databases
    have no password. With no variable and nobody to ask (no terminal, the dialog
    dismissed) the step fails before applying anything, naming both ways to give it.
    A question left unanswered because the run was stopped (Ctrl+Q, Ctrl+C) is that
    stop (``check_cancel`` raises it), not a failure of the step.
    """
    values: list[str] = []
    for item in items:
        value = env.get(item.env)
        if value is None and ask is not None:
            value = ask(item)
        if value is None and check_cancel is not None:
            check_cancel()
        if value is None:
            again = "Retry asks again" if ask is not None else "run at a terminal to be asked"
            raise StepFailed(
                f"The {item.prompt} is needed for {item.where()}; kfwizard never stores "
                "it, so it is asked at every apply.",
                f"give it when asked ({again}), or set {item.env} in the environment, then resume",
            )
        register_secret(value)
        values.append(value)
    return values


def filled(objects: list[Manifest], items: list[SecretInput], values: list[str]) -> list[Manifest]:
    """``objects`` with each matching Secret replaced by a copy that carries its value
    (in ``stringData``, which the API server merges into ``data``); the others as they
    are, so the originals are never changed."""
    result: list[Manifest] = []
    for manifest in objects:
        obj = manifest.obj
        wanted = [(i, v) for i, v in zip(items, values, strict=True) if i.matches(obj)]
        if not wanted:
            result.append(manifest)
            continue
        copied = copy.deepcopy(obj)
        for item, value in wanted:
            copied.setdefault("stringData", {})[item.key] = value
            (copied.get("data") or {}).pop(item.key, None)
        result.append(Manifest(copied, manifest.source, manifest.index))
    return result


def with_values(tiers: list[Any], items: list[SecretInput], values: list[str]) -> list[Any]:
    """Copies of ``tiers`` whose Secrets carry the values (tiers are dataclasses)."""
    if not items:
        return list(tiers)
    return [
        dataclasses.replace(tier, objects=filled(tier.objects, items, values)) for tier in tiers
    ]
