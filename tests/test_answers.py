"""The answers file: round-trips with sessions, and every bad value names its field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kfwizard.answers import (
    defaults,
    dump_answers,
    load_answers,
    parse_answers_text,
    validate_selections,
)
from kfwizard.engine.errors import BadInput

ROOT = Path(__file__).resolve().parents[1]
GCP = {"bucket": "kfp-artifacts", "cloudsql_instance": "my-project:us-central1:kfp-db"}
"""kfp-gcp's own inputs, which that mode requires."""

ISSUE_EXAMPLE = """\
name: first-kfp
project: my-project
services: enable
cluster:
  source: create
  name: kubeflow-testing
  location: us-central1-a
  machine_type: n1-standard-2
  nodes: 3
  scopes: [compute-rw, gke-default, storage-rw]
  version: latest
  context: null
deployment:
  mode: kfp-standalone
  version: "2.17.0"
  env: platform-agnostic
  manifests: null
"""


def test_example_and_shipped_answers_files_are_valid() -> None:
    parsed = parse_answers_text(ISSUE_EXAMPLE)
    assert parsed["cluster"]["nodes"] == 3 and parsed["deployment"]["version"] == "2.17.0"
    for path in (ROOT / "examples").glob("*.yaml"):
        load_answers(path)


@pytest.mark.parametrize(
    ("deployment", "version", "env"),
    [
        ("{mode: kfp-standalone}", "2.17.0", "platform-agnostic"),
        ("{mode: kubeflow}", "26.03", "gke"),
        (
            "{mode: kfp-gcp, gcp: {bucket: kfp-art, cloudsql_instance: 'my-project:us-east1:db'}}",
            None,
            "gcp",
        ),
        ("{mode: kfp-standalone, version: '1.8.5'}", "1.8.5", None),
    ],
)
def test_a_mode_alone_gets_its_own_version_and_env(deployment, version, env) -> None:
    """Only the mode given: the catalog's defaults for it, never standalone's 2.17.0
    (which the kubeflow and kfp-gcp modes refuse)."""
    from kfwizard.manifests import catalog

    cluster = "{name: kf, location: us-central1-a}"
    text = f"project: my-project\ncluster: {cluster}\ndeployment: {deployment}\n"
    parsed = parse_answers_text(text)
    chosen = parsed["deployment"]
    mode = chosen["mode"]
    assert chosen["version"] == (version or catalog.default_version(mode))
    assert chosen["env"] == (env or catalog.default_env(mode, chosen["version"]))


def test_round_trip(tmp_path: Path) -> None:
    selections = parse_answers_text(ISSUE_EXAMPLE)
    path = tmp_path / "exported.yaml"
    path.write_text(dump_answers(selections))
    assert load_answers(path) == selections
    assert yaml.safe_load(dump_answers(selections))["project"] == "my-project"


def test_session_selections_are_an_answers_file(tmp_path: Path) -> None:
    from kfwizard.session import Session, SessionStore

    store = SessionStore()
    session = Session.new(selections=parse_answers_text(ISSUE_EXAMPLE))
    store.save(session)
    exported = tmp_path / "from-session.yaml"
    exported.write_text(dump_answers(store.load(session.id).selections))
    assert load_answers(exported) == session.selections


@pytest.mark.parametrize(
    ("patch", "field", "words"),
    [
        ({"project": "My_Project"}, "project", "lowercase"),
        ({"project": "abc"}, "project", "6"),
        ({"colour": "blue"}, "colour", "unknown key"),
        ({"cluster": {"nodes": 0}}, "cluster.nodes", "1"),
        ({"cluster": {"nodes": "three"}}, "cluster.nodes", ""),
        ({"cluster": {"nodes": "3"}}, "cluster.nodes", 'without quotes (3, not "3")'),
        ({"cluster": {"name": "Kubeflow_Testing"}}, "cluster.name", "lowercase"),
        ({"cluster": {"name": "kf-"}}, "cluster.name", "hyphen"),
        ({"cluster": {"location": "us-central1-q"}}, "cluster.location", ""),
        ({"cluster": {"source": "magic"}}, "cluster.source", "create"),
        ({"cluster": {"version": "banana"}}, "cluster.version", "not a version GKE takes"),
        ({"skip_checks": {"capacity": " "}}, "skip_checks.capacity", "reason"),
        ({"deployment": {"mode": "kfp-magic"}}, "deployment.mode", "kfp-standalone"),
        ({"deployment": {"version": 2.17}}, "deployment.version", "quoted"),
        ({"deployment": {"gcp": {"password": "hunter2"}}}, "deployment.gcp.password", "secrets"),
        ({"services": "maybe"}, "services", "enable"),
    ],
)
def test_bad_values_name_the_field(patch: dict, field: str, words: str) -> None:
    data = yaml.safe_load(ISSUE_EXAMPLE)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    errors = validate_selections(data)
    assert errors, f"{patch} was accepted"
    assert errors[0].field == field, errors
    assert words.lower() in errors[0].rule.lower(), errors[0]
    with pytest.raises(BadInput) as exc:
        parse_answers_text(yaml.safe_dump(data))
    assert exc.value.exit_code == 2 and exc.value.field == field


def test_several_bad_fields_are_all_named_in_the_next_action() -> None:
    text = (
        "project: My_Project\ncolour: blue\n"
        "cluster:\n  name: kf\n  location: us-central1-a\n  nodes: 0\n"
    )
    with pytest.raises(BadInput) as exc:
        parse_answers_text(text, source="a.yaml")
    message = exc.value.message()
    assert "Also:" in message
    assert exc.value.action is not None and exc.value.action.startswith("fix ")
    assert exc.value.action.endswith(" in a.yaml and run again")
    for field in ("colour", "project", "cluster.nodes"):
        assert field in exc.value.action
    with pytest.raises(BadInput) as one:
        parse_answers_text(
            text.replace("nodes: 0", "nodes: 3").replace("colour: blue\n", ""), "a.yaml"
        )
    assert one.value.action == "fix project in a.yaml and run again"
    with pytest.raises(BadInput) as many:
        parse_answers_text("project: My_Project\ncolour: blue\nsize: 1\ncluster: {}\n", "a.yaml")
    assert "(and 1 more) in a.yaml" in str(many.value.action)


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(BadInput, match=r"a.yaml: is not valid YAML at line \d"):
        parse_answers_text("project: ok\ncluster: [unclosed\n", source="a.yaml")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "project: my-project-123\ncluster:\n\tname: kf\n",
            "at line 3: a tab; YAML indents with spaces only",
        ),
        (
            # The plain loader kept the second one without a word: an edit of the first
            # one had no effect.
            "project: my-project-123\ncluster:\n  nodes: 3\n  nodes: 4\n",
            "at line 4: the key 'nodes' is given twice; keep one",
        ),
    ],
)
def test_yaml_mistakes_are_named(text: str, said: str) -> None:
    with pytest.raises(BadInput) as refused:
        parse_answers_text(text, source="a.yaml")
    assert str(refused.value.rule).endswith(said), refused.value.rule


def test_yaml_merge_keys_still_work_with_the_duplicate_check() -> None:
    """ "<<:" merges a mapping in (the duplicate-key loader first refused it)."""
    merged = parse_answers_text(
        "project: my-project-123\ncluster:\n  <<: {name: kf-one, location: us-central1-a}\n"
        "  nodes: 4\n",
        source="a.yaml",
    )
    assert merged["cluster"]["name"] == "kf-one" and merged["cluster"]["nodes"] == 4


@pytest.mark.parametrize(
    ("deployment", "field", "words"),
    [
        ({"version": "9.9.9"}, "deployment.version", "Pick one of: 2.17.0"),
        ({"version": "1.8.13"}, "deployment.version", "SDK-only"),
        ({"env": "no-such-env"}, "deployment.env", "Pick one of: platform-agnostic"),
        ({"mode": "kfp-gcp", "version": "2.17.0", "gcp": GCP}, "deployment.version", "2.14.4"),
        ({"mode": "kubeflow", "version": "v9.9"}, "deployment.version", "26.03"),
        ({"env": "dev"}, "deployment.env", ":master"),
    ],
)
def test_versions_and_envs_the_catalog_does_not_offer_are_refused_on_load(
    deployment: dict, field: str, words: str
) -> None:
    """Refused when the file is read, not after a cluster was created (bug 2)."""
    data = yaml.safe_load(ISSUE_EXAMPLE)
    data["deployment"].update(deployment)
    errors = validate_selections(data)
    assert [e.field for e in errors] == [field], errors
    assert words in errors[0].rule, errors[0]


@pytest.mark.parametrize(
    "deployment",
    [
        {"version": "v2.17.0"},
        {"version": "latest"},
        {"version": "1.8.5", "env": "dev"},
        {"mode": "kfp-gcp", "version": "2.14.4", "gcp": GCP},
        {"mode": "kubeflow", "version": "26.03", "env": "gke"},
        # The user's own manifests: env/dev is judged on the images in the files.
        {"env": "dev", "manifests": str(ROOT)},
    ],
)
def test_what_the_catalog_offers_is_accepted(deployment: dict) -> None:
    data = yaml.safe_load(ISSUE_EXAMPLE)
    data["deployment"].update(deployment)
    assert validate_selections(data) == []


@pytest.mark.parametrize(
    ("patch", "field", "words"),
    [
        ({"deployment": {"version": "1.6.0"}}, "deployment.version", "every GKE cluster runs 1.22"),
        (
            {"deployment": {"mode": "kubeflow", "version": "26.03", "env": "example"}},
            "deployment.env",
            "read-only",
        ),
        ({"deployment": {"manifests": "/nonexistent/kfp"}}, "deployment.manifests", "not exist"),
        ({"skip_checks": {"capcity": "I know"}}, "skip_checks.capcity", "known: server-version"),
    ],
)
def test_what_later_steps_would_refuse_is_refused_on_load(
    patch: dict, field: str, words: str
) -> None:
    """Each used to fail only after APIs were enabled and a billable cluster created."""
    data = yaml.safe_load(ISSUE_EXAMPLE)
    for key, value in patch.items():
        data[key] = {**data.get(key, {}), **value}
    with pytest.raises(BadInput) as caught:
        parse_answers_text(yaml.safe_dump(data), source="a.yaml")
    assert caught.value.exit_code == 2 and caught.value.field == field
    assert words in caught.value.rule
    assert f"fix {field} in a.yaml" in str(caught.value.action)


def test_gke_only_refusals_wait_for_the_cluster_on_a_kubeconfig_context() -> None:
    """A kubeconfig context can be an old cluster where KFP 1.6.0 still installs."""
    data = yaml.safe_load(ISSUE_EXAMPLE)
    data["cluster"] = {"source": "kubeconfig", "context": "old-kind"}
    data["deployment"]["version"] = "1.6.0"
    assert validate_selections(data) == []


def test_known_skip_checks_and_an_existing_manifests_folder_are_accepted(tmp_path: Path) -> None:
    data = yaml.safe_load(ISSUE_EXAMPLE)
    data["skip_checks"] = {"capacity": "autoscaler adds nodes", "public-url": "no proxy"}
    data["deployment"]["manifests"] = str(tmp_path)
    assert validate_selections(data) == []


def test_deeply_nested_yaml_is_bad_input_not_a_recursion_error() -> None:
    text = "project: " + "[" * 20_000 + "]" * 20_000 + "\n"
    with pytest.raises(BadInput, match=r"deep.yaml: is nested too deeply"):
        parse_answers_text(text, source="deep.yaml")


def test_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("name: x\n" + "#" * 2_000_000)
    with pytest.raises(BadInput, match="--answers"):
        load_answers(path)


def test_defaults_are_the_2021_recipe() -> None:
    cluster = defaults()["cluster"]
    assert (cluster["name"], cluster["location"], cluster["machine_type"], cluster["nodes"]) == (
        "kubeflow-testing",
        "us-central1-a",
        "n1-standard-2",
        3,
    )


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["name", "project", "services", "cluster", "deployment", "x"]),
        yaml_values,
        max_size=6,
    )
)
def test_any_document_gives_field_errors_never_a_traceback(data: dict) -> None:
    errors = validate_selections(data)
    for error in errors:
        assert error.field and error.rule


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_parsed_or_refused_with_exit_2(text: str) -> None:
    try:
        parse_answers_text(text)
    except BadInput as exc:
        assert exc.exit_code == 2 and exc.field
