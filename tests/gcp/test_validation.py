"""Input rules: known good and bad values, and properties over arbitrary input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kfwizard.gcp import scopes, validation

ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=60),
    st.lists(st.text(max_size=20), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)

VALIDATORS = [
    validation.validate_project_id,
    validation.validate_cluster_name,
    validation.validate_location,
    validation.validate_machine_type,
    validation.validate_node_count,
    validation.validate_scopes,
    validation.validate_kube_context,
    validation.validate_gke_version,
]


@pytest.mark.parametrize("value", ["my-project", "kfwizard-demo", "a12345", "p" * 30, "abc-12-x"])
def test_good_project_ids(value: str) -> None:
    assert validation.validate_project_id(value) is None


@pytest.mark.parametrize(
    "value",
    ["short", "p" * 31, "1project", "My-Project", "my_project", "my-project-", "", "my project"],
)
def test_bad_project_ids_name_the_rule(value: str) -> None:
    assert validation.validate_project_id(value) == validation.PROJECT_ID_RULE


@pytest.mark.parametrize("value", ["k", "kubeflow-testing", "a" * 40, "c1-2"])
def test_good_cluster_names(value: str) -> None:
    assert validation.validate_cluster_name(value) is None


@pytest.mark.parametrize("value", ["", "a" * 41, "1abc", "Abc", "abc-", "a_b", "a.b"])
def test_bad_cluster_names(value: str) -> None:
    assert validation.validate_cluster_name(value) == validation.CLUSTER_NAME_RULE


def test_location_known_and_suggested() -> None:
    assert validation.validate_location("us-central1-a") is None
    assert validation.validate_location("europe-west1") is None
    message = validation.validate_location("us-central1-z")
    assert message and "us-central1-" in message and "did you mean" in message
    assert "not a known" in (validation.validate_location("mars-north1") or "")


def test_machine_types_known_pattern_and_bad() -> None:
    assert validation.validate_machine_type("n1-standard-2") is None
    assert validation.machine_type_warning("n1-standard-2") is None
    for pattern_only in ("c3-standard-8", "n2-custom-4-16384", "custom-2-7680", "n2d-highcpu-8"):
        assert validation.validate_machine_type(pattern_only) is None, pattern_only
        warning = validation.machine_type_warning(pattern_only)
        assert warning and "cannot estimate the cost" in warning
    assert "does not look like a machine type" in (validation.validate_machine_type("big") or "")


@pytest.mark.parametrize("value", [1, 3, 100])
def test_good_node_counts(value: int) -> None:
    assert validation.validate_node_count(value) is None


@pytest.mark.parametrize("value", [0, -1, 101, 2.5, "3", True, None])
def test_bad_node_counts(value: object) -> None:
    rule = validation.validate_node_count(value)
    assert rule is not None and rule.startswith(validation.NODE_COUNT_RULE)
    if value == "3":  # quoted in YAML: the rule says what to change
        assert rule.endswith('written without quotes (3, not "3")')


def test_scopes() -> None:
    assert validation.validate_scopes(["compute-rw", "gke-default", "storage-rw"]) is None
    assert validation.validate_scopes([scopes.SCOPE_URL_PREFIX + "cloud-platform"]) is None
    message = validation.validate_scopes(["compute-rw", "everything"])
    assert message and "'everything'" in message and "gke-default" in message
    assert validation.validate_scopes("compute-rw") is not None


@pytest.mark.parametrize(
    "value", [None, "", "latest", "-", "default", "1.33", "1.33.5", "1.33.5-gke.1200000"]
)
def test_good_gke_versions(value: object) -> None:
    """The aliases and version forms GKE's initialClusterVersion and kfwizard's
    resolution take (None and "" mean latest)."""
    assert validation.validate_gke_version(value) is None


@pytest.mark.parametrize(
    "value", ["banana", "Latest", "1", "v1.33", "1.33.", "1.33.5-gke", "1.33.5-gke.x", " 1.33"]
)
def test_bad_gke_versions_name_the_value_and_the_rule(value: str) -> None:
    message = validation.validate_gke_version(value)
    assert message == f"{value!r} is not a version GKE takes; {validation.GKE_VERSION_RULE}"
    assert "latest" in message and "1.33" in message


@pytest.mark.parametrize("value", [1.3, 1, True, ["1.33"]])
def test_a_gke_version_read_as_a_number_is_refused(value: object) -> None:
    """YAML reads ``version: 1.30`` as the number 1.3: the version's digits are gone."""
    message = validation.validate_gke_version(value)
    assert message and "quoted" in message


def test_scope_expansion_matches_gcloud() -> None:
    urls = scopes.expand_scopes(["compute-rw", "gke-default", "storage-rw"])
    assert urls == sorted(set(urls))
    assert "https://www.googleapis.com/auth/compute" in urls
    assert "https://www.googleapis.com/auth/devstorage.read_write" in urls
    assert "https://www.googleapis.com/auth/logging.write" in urls  # from gke-default
    assert scopes.expand_scopes([]) == list(scopes.GKE_DEFAULT_SCOPES)


def test_context() -> None:
    assert validation.validate_kube_context("kind-kind") is None
    assert validation.validate_kube_context("  ") == validation.CONTEXT_RULE


@settings(max_examples=150, deadline=None)
@given(value=ANYTHING)
def test_validators_never_raise_and_answer_none_or_text(value: object) -> None:
    for validator in VALIDATORS:
        answer = validator(value)
        assert answer is None or (isinstance(answer, str) and answer)


@settings(max_examples=150, deadline=None)
@given(value=st.text(max_size=40))
def test_project_rule_agrees_with_its_definition(value: str) -> None:
    ok = (
        6 <= len(value) <= 30
        and value[0] in "abcdefghijklmnopqrstuvwxyz"
        and all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in value)
        and not value.endswith("-")
    )
    answer = validation.validate_project_id(value)
    assert (answer is None) == ok
    if not ok:
        assert "6 to 30 characters" in answer


@settings(max_examples=150, deadline=None)
@given(value=st.text(alphabet="abcz09-_A", max_size=45))
def test_cluster_rule_agrees_with_its_definition(value: str) -> None:
    ok = (
        1 <= len(value) <= 40
        and value[0].islower()
        and value[0].isalpha()
        and all(c in "abcz09-" for c in value)
        and not value.endswith("-")
    )
    answer = validation.validate_cluster_name(value)
    assert (answer is None) == ok
    if not ok:
        assert "1 to 40 characters" in answer
