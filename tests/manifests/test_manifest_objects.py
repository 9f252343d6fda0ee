"""Parsing: every shared fixture parses to the counts its README states, and malformed
input is refused with the file, the document and the rule named."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kfwizard.engine.errors import StepFailed
from kfwizard.manifests.kinds import CLUSTER_SCOPED
from kfwizard.manifests.objects import (
    DEFAULT_MAX_BYTES,
    Manifest,
    ManifestError,
    check_duplicates,
    crd_scopes,
    parse_file,
    parse_files,
    parse_text,
)

from .conftest import FIXTURES, KFP, need_fixtures

ROW = re.compile(
    r"^\| `(?P<file>[^`]+\.yaml)` \| (?P<bytes>\d+) \| (?P<n>\d+) \| (?P<kinds>[^|]+) \|"
)


def readme_rows() -> list[tuple[str, int, int, dict[str, int]]]:
    rows = []
    text = (KFP / "README.md").read_text(encoding="utf-8") if KFP.is_dir() else ""
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            kinds = {}
            for item in match.group("kinds").split(","):
                kind, count = item.strip().rsplit(" ", 1)
                kinds[kind] = int(count)
            rows.append(
                (match.group("file"), int(match.group("bytes")), int(match.group("n")), kinds)
            )
    return rows


ROWS = readme_rows()


def test_readme_lists_every_fixture_file() -> None:
    need_fixtures()
    on_disk = sorted(str(p.relative_to(KFP)) for p in KFP.glob("*/*.yaml"))
    assert sorted(r[0] for r in ROWS) == on_disk
    assert len(ROWS) == 20


@pytest.mark.parametrize(("name", "size", "count", "kinds"), ROWS, ids=[r[0] for r in ROWS])
def test_fixture_counts_match_readme(
    name: str, size: int, count: int, kinds: dict[str, int]
) -> None:
    path = KFP / name
    assert path.stat().st_size == size
    objects = parse_file(path)
    assert len(objects) == count
    assert dict(Counter(m.kind for m in objects)) == kinds


KUBEFLOW_KINDS = {
    "ClusterRole": 108,
    "CustomResourceDefinition": 74,
    "ClusterRoleBinding": 54,
    "ConfigMap": 49,
    "Deployment": 49,
    "ServiceAccount": 48,
    "Service": 47,
    "NetworkPolicy": 40,
    "Role": 29,
    "RoleBinding": 29,
    "AuthorizationPolicy": 24,
    "ValidatingWebhookConfiguration": 17,
    "ClusterServingRuntime": 11,
    "MutatingWebhookConfiguration": 11,
    "Secret": 11,
    "VirtualService": 11,
    "DestinationRule": 10,
    "Certificate": 7,
    "Namespace": 7,
    "ClusterTrainingRuntime": 6,
    "HorizontalPodAutoscaler": 5,
    "Issuer": 5,
    "Gateway": 4,
    "PersistentVolumeClaim": 3,
    "Sidecar": 3,
    "PeerAuthentication": 2,
    "PodDisruptionBudget": 2,
    "ClusterIssuer": 1,
    "ClusterStorageContainer": 1,
    "DaemonSet": 1,
    "DecoratorController": 1,
    "Image": 1,
    "PriorityClass": 1,
    "Profile": 1,
    "RequestAuthentication": 1,
    "StatefulSet": 1,
}
KUBEFLOW_NAMESPACES = {
    "": 293,
    "kubeflow": 240,
    "knative-serving": 49,
    "istio-system": 36,
    "kubeflow-system": 16,
    "cert-manager": 15,
    "oauth2-proxy": 10,
    "auth": 9,
    "kube-system": 7,
}


def test_kubeflow_render_counts_match_readme(kubeflow_objects: list[Manifest]) -> None:
    assert len(kubeflow_objects) == 675
    assert dict(Counter(m.kind for m in kubeflow_objects)) == KUBEFLOW_KINDS
    certificates = Counter(m.group for m in kubeflow_objects if m.kind == "Certificate")
    assert certificates == {"cert-manager.io": 6, "networking.internal.knative.dev": 1}


def test_kubeflow_scopes_use_crd_spec_scope(kubeflow_objects: list[Manifest]) -> None:
    scopes = crd_scopes(kubeflow_objects)
    real = Counter(
        m.namespace if m.is_namespaced(CLUSTER_SCOPED, scopes) else "" for m in kubeflow_objects
    )
    assert dict(real) == KUBEFLOW_NAMESPACES
    stray = [
        m for m in kubeflow_objects if m.namespace and not m.is_namespaced(CLUSTER_SCOPED, scopes)
    ]
    assert len(stray) == 11
    assert Counter(m.kind for m in stray) == {
        "ClusterRole": 2,
        "ClusterRoleBinding": 2,
        "DecoratorController": 1,
        "ClusterTrainingRuntime": 6,
    }
    written = Counter(m.namespace for m in kubeflow_objects)
    assert (written[""], written["kubeflow"], written["kubeflow-system"]) == (282, 245, 22)
    check_duplicates(kubeflow_objects, scopes)


def test_manifest_identity_and_scope() -> None:
    [crd, cr, role] = parse_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: widgets.example.com}\n"
        "spec: {group: example.com, scope: Cluster, names: {kind: Widget, plural: widgets}}\n"
        "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: stray}\n"
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
        "metadata: {name: r, namespace: ns}\n",
        "inline.yaml",
    )
    assert crd.is_crd and crd.group == "apiextensions.k8s.io"
    assert crd.crd_names() == ("example.com", "Widget", "Cluster")
    assert cr.ref == {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "namespace": "stray",
        "name": "w",
    }
    scopes = crd_scopes([crd, cr, role])
    assert not cr.is_namespaced(CLUSTER_SCOPED, scopes)
    assert cr.scoped_ref(False)["namespace"] == ""
    assert cr.is_namespaced(CLUSTER_SCOPED, {})  # nobody defines it: trust the namespace
    assert not role.is_namespaced()
    assert (cr.source, cr.index, cr.is_custom_resource, role.is_custom_resource) == (
        "inline.yaml",
        1,
        True,
        False,
    )


def test_empty_documents_are_skipped_and_lists_expanded() -> None:
    text = (
        "---\n---\n# only a comment\n---\napiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: x}}\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: b, namespace: x}}\n---\n"
    )
    found = parse_text(text)
    assert [m.name for m in found] == ["a", "b"]
    assert {m.index for m in found} == {2}


@pytest.mark.parametrize(
    ("text", "index", "rule"),
    [
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- just\n- a list\n",
            1,
            "document is not a mapping (got a list)",
        ),
        ("kind: ConfigMap\nmetadata: {name: a}\n", 0, "missing apiVersion"),
        ("apiVersion: v1\nmetadata: {name: a}\n", 0, "missing kind"),
        ("apiVersion: v1\nkind: ConfigMap\n", 0, "missing metadata"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: x}\n", 0, "missing metadata.name"),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 42}\n",
            0,
            "metadata.name must be text",
        ),
        ("just text\n", 0, "document is not a mapping (got text)"),
    ],
)
def test_malformed_documents_name_the_rule(text: str, index: int, rule: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_text(text, "bad.yaml")
    err = caught.value
    assert (err.source, err.index, err.rule) == ("bad.yaml", index, rule)
    assert f"bad.yaml, document {index + 1}: {rule}" in err.cause
    assert isinstance(err, StepFailed) and err.exit_code == 1


def test_invalid_yaml_names_the_line() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: [oops\n"
    )
    with pytest.raises(ManifestError) as caught:
        parse_text(text, "broken.yaml")
    assert (caught.value.index, caught.value.rule) == (1, "invalid YAML")
    assert caught.value.line is not None and caught.value.line >= 6
    assert "broken.yaml, document 2, line" in caught.value.cause


def test_not_utf8_is_refused() -> None:
    with pytest.raises(ManifestError, match="not UTF-8 text"):
        parse_text(b"apiVersion: v1\nkind: \xff\xfe\n", "latin.yaml")


def test_duplicates_are_refused_with_both_places(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    second = tmp_path / "b.yaml"
    first.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: kf}\n")
    second.write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: kf}\n---\n"
        "apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: x, namespace: kf}\n"
    )
    with pytest.raises(ManifestError) as caught:
        parse_files([first, second])
    assert caught.value.source == str(second) and caught.value.index == 1
    assert "duplicate object Deployment kf/x" in caught.value.cause
    assert f"already in {first}, document 1" in caught.value.cause


def test_same_name_in_other_namespace_or_group_is_not_a_duplicate() -> None:
    found = parse_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: a}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: b}\n---\n"
        "apiVersion: cert-manager.io/v1\nkind: Certificate\n"
        "metadata: {name: c, namespace: a}\n---\n"
        "apiVersion: networking.internal.knative.dev/v1alpha1\nkind: Certificate\n"
        "metadata: {name: c, namespace: a}\n"
    )
    check_duplicates(found)


def test_cluster_scoped_duplicate_with_stray_namespace() -> None:
    found = parse_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
        "metadata: {name: r, namespace: kubeflow}\n"
    )
    with pytest.raises(ManifestError, match="duplicate object ClusterRole r"):
        check_duplicates(found)


def test_file_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "huge.yaml"
    with big.open("wb") as handle:
        handle.truncate(DEFAULT_MAX_BYTES + 1)  # sparse: nothing is written or read
    with pytest.raises(ManifestError) as caught:
        parse_file(big)
    assert caught.value.index is None
    assert "over the 52,428,800-byte limit" in caught.value.cause
    small = tmp_path / "small.yaml"
    small.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    with pytest.raises(ManifestError, match="over the 10-byte limit"):
        parse_file(small, max_bytes=10)
    assert len(parse_file(small, max_bytes=1000)) == 1


def test_missing_file_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read the file"):
        parse_file(tmp_path / "nope.yaml")


YAMLISH = st.text(alphabet=list("abck:-[]{}&*!|>'\"#%@`,?\n\t 0123456789.\\"), max_size=300)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), YAMLISH, YAMLISH.map(lambda s: "apiVersion: v1\n" + s)))
def test_parser_raises_only_manifest_error(data: bytes | str) -> None:
    try:
        found = parse_text(data, "random.yaml")
    except ManifestError as exc:
        assert exc.source == "random.yaml"
        return
    for m in found:
        assert isinstance(m.kind, str) and isinstance(m.name, str) and m.api_version


def test_fixture_sources_are_named() -> None:
    need_fixtures()
    path = FIXTURES / "kfp" / "1.8.5" / "cluster-scoped-resources.yaml"
    found = parse_file(path)
    assert found[0].source == str(path) and found[0].index == 0
    assert repr(found[0]).startswith("<Manifest ")
