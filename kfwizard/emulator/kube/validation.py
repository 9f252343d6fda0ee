"""The few validations worth having in an emulator, because real clusters fail installs
on them: object names (RFC 1123), the 256 KiB annotation limit that breaks client-side
``kubectl apply`` of big CRDs (the reason Kubeflow needs server-side apply), and a CRD's
name matching ``<plural>.<group>``.
"""

from __future__ import annotations

import re

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.discovery import ResourceType
from kfwizard.emulator.kube.store import Obj, meta

ANNOTATIONS_LIMIT = 262144
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAMED = {("", "namespaces"), ("", "services")}
_SUBDOMAIN_NAMED = {
    ("", "configmaps"),
    ("", "secrets"),
    ("", "pods"),
    ("", "serviceaccounts"),
    ("", "persistentvolumeclaims"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
}


def _name_error(name: str, label: bool) -> str:
    if label:
        return (
            f'metadata.name: Invalid value: "{name}": a lowercase RFC 1123 label must consist of '
            "lower case alphanumeric characters or '-', and must start and end with an "
            "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation "
            "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        )
    return (
        f'metadata.name: Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of '
        "lower case alphanumeric characters, '-' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    )


def validate(rt: ResourceType, obj: Obj) -> None:
    """Raise a 422 Invalid like the API server for the checks above."""
    md = meta(obj)
    name = str(md.get("name", ""))
    causes: list[tuple[str, str]] = []
    if rt.key in _LABEL_NAMED and (len(name) > 63 or not _LABEL.match(name)):
        causes.append(("metadata.name", _name_error(name, True).split(": ", 1)[1]))
    elif rt.key in _SUBDOMAIN_NAMED and (len(name) > 253 or not _SUBDOMAIN.match(name)):
        causes.append(("metadata.name", _name_error(name, False).split(": ", 1)[1]))
    annotations = md.get("annotations") or {}
    size = sum(len(str(k)) + len(str(v)) for k, v in annotations.items())
    if size > ANNOTATIONS_LIMIT:
        causes.append(
            ("metadata.annotations", f"Too long: must have at most {ANNOTATIONS_LIMIT} bytes")
        )
    if rt.key == ("apiextensions.k8s.io", "customresourcedefinitions"):
        spec = obj.get("spec") or {}
        expected = f"{(spec.get('names') or {}).get('plural', '')}.{spec.get('group', '')}"
        if name != expected:
            causes.append(
                (
                    "metadata.name",
                    f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
                )
            )
    if causes:
        raise errors.invalid(rt.kind, rt.group, name, causes)
