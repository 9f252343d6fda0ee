"""Bad input never gets a traceback: every validator takes anything, and ``kfwizard run
--answers FILE`` with a bad file exits 2 naming the field, before touching anything.

Why: answers files are hand-written YAML; a typo must cost one clear line, not a stack
trace, and never a half-made session or a cluster. The loader's own rules are tested in
tests/test_answers.py; these tests go through the command line (in-process
``kfwizard.cli.main`` for speed, plus a few real subprocesses), property-based.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kfwizard.answers import validate_selections
from kfwizard.gcp import validation
from tests.reliability import harness

FIXED = settings(derandomize=True, database=None, deadline=None)
"""Same examples on every run (CI must not flake on a new random case); no .hypothesis/."""

# -- every validator, anything in -------------------------------------------------------------

VALIDATORS = (
    validation.validate_project_id,
    validation.validate_cluster_name,
    validation.validate_location,
    validation.validate_machine_type,
    validation.validate_node_count,
    validation.validate_scopes,
    validation.validate_kube_context,
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**30, max_value=10**60)
    | st.floats()
    | st.text()
    | st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=3000)
    | st.binary(max_size=50)
)
anything = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(FIXED, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(value=anything)
def test_every_validator_answers_anything_with_none_or_a_rule(value: Any) -> None:
    for validator in VALIDATORS:
        result = validator(value)
        assert result is None or (isinstance(result, str) and result.strip()), validator


@settings(FIXED, max_examples=100)
@given(text=st.text(max_size=300))
def test_text_validators_and_the_machine_type_warning_take_any_text(text: str) -> None:
    for validator in VALIDATORS:
        validator(text)
    warning = validation.machine_type_warning(text)
    assert warning is None or isinstance(warning, str)
    assert isinstance(validation.is_known_machine_type(text), bool)


# -- answers files through `kfwizard run` -------------------------------------------------------

GOOD = harness.answers_data()
TEXT_FIELDS = (
    ("project",),
    ("cluster", "name"),
    ("cluster", "location"),
    ("cluster", "machine_type"),
    ("deployment", "version"),
)
ALL_FIELDS = (
    ("name",),
    ("project",),
    ("services",),
    ("cluster",),
    ("cluster", "source"),
    ("cluster", "name"),
    ("cluster", "location"),
    ("cluster", "machine_type"),
    ("cluster", "nodes"),
    ("cluster", "scopes"),
    ("cluster", "version"),
    ("deployment",),
    ("deployment", "mode"),
    ("deployment", "version"),
    ("deployment", "gcp"),
    ("skip_checks",),
)
wrong_values = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | st.text(max_size=40)
    | st.text(min_size=201, max_size=400)
    | st.lists(st.integers(), max_size=3)
    | st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)
)


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value


def _delete(data: dict[str, Any], path: tuple[str, ...]) -> None:
    for key in path[:-1]:
        data = data[key]
    del data[path[-1]]


@st.composite
def bad_answers(draw: st.DrawFn) -> tuple[str, str]:
    """(YAML text, the field the message must name). One mutation of a good file."""
    import copy

    data = copy.deepcopy(GOOD)
    kind = draw(st.sampled_from(["wrong-value", "unknown-key", "missing", "unicode"]))
    if kind == "wrong-value":
        path = draw(st.sampled_from(ALL_FIELDS))
        _set(data, path, draw(wrong_values))
        field = ".".join(path)
    elif kind == "unknown-key":
        where = draw(st.sampled_from([(), ("cluster",), ("deployment",), ("deployment", "gcp")]))
        key = draw(st.text(min_size=1, max_size=20).filter(lambda k: k.strip() == k and k))
        target = data
        for part in where:
            target = target.setdefault(part, {})
        assume(key not in target and key not in ("name", "project", "services", "skip_checks"))
        target[key] = draw(wrong_values)
        field = ".".join((*where, key))
    elif kind == "missing":
        path = draw(st.sampled_from([("project",), ("cluster", "name"), ("cluster", "location")]))
        _delete(data, path)
        field = ".".join(path)
    else:
        path = draw(st.sampled_from(TEXT_FIELDS))
        _set(data, path, draw(st.text(alphabet=st.characters(codec="utf-8"), min_size=1)))
        field = ".".join(path)
    errors = validate_selections(data)
    assume(errors)  # a mutation that happens to be valid is not bad input
    return yaml.safe_dump(data, allow_unicode=True), field


@pytest.fixture
def no_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad answers file must never get as far as running a plan."""
    import kfwizard.headless

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("a bad answers file started a run")

    monkeypatch.setattr(kfwizard.headless, "_run_session", refuse)


def run_cli(*args: str) -> tuple[int, str, str]:
    from kfwizard.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _assert_refused(code: int, out: str, err: str, field: str | None) -> None:
    assert code == 2, (code, out, err)
    assert err.startswith("kfwizard: ") and "Traceback" not in err + out, err
    if field is not None:
        shown = err.encode("utf-8", "backslashreplace").decode("utf-8")
        wanted = field.encode("utf-8", "backslashreplace").decode("utf-8")
        assert wanted in shown or repr(wanted)[1:-1] in shown, (field, err)
    assert not harness.sessions_dir().exists() or not any(harness.sessions_dir().iterdir()), (
        "a session was written for bad input"
    )


@settings(
    FIXED,
    max_examples=120,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(case=bad_answers())
def test_a_bad_answers_file_exits_2_naming_the_field(
    case: tuple[str, str], tmp_path: Path, no_run: None
) -> None:
    text, field = case
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    _assert_refused(*run_cli("run", "--answers", str(path)), field)


@settings(FIXED, max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(max_size=400)
    | st.text(alphabet=st.sampled_from("{}[]:-,&*!|>'\"%@`#? \n\tab1"), max_size=200)
)
def test_any_text_as_an_answers_file_exits_2(text: str, tmp_path: Path, no_run: None) -> None:
    path = tmp_path / "random.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _assert_refused(*run_cli("run", "--answers", str(path)), None)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        pytest.param(b"name: x\n" + b"#" * 1_100_000, "--answers", id="over-1MB"),
        pytest.param(b"\xff\xfe\x00garbage", "--answers", id="not-utf8"),
        pytest.param(b"project: [unclosed\n", "bad.yaml: is not valid YAML at line", id="yaml"),
        pytest.param(b"- just\n- a list\n", "(answers): must be a mapping", id="a-list"),
        pytest.param(b"project: !!python/object/apply:os.system [id]\n", "bad.yaml", id="tag"),
        pytest.param(b"a: &a [*a, *a]\nproject: 1\n", "repeats the value it is", id="self-alias"),
        pytest.param(
            yaml.safe_dump({**GOOD, "cluster": {**GOOD["cluster"], "nodes": 10**100}}).encode(),
            "cluster.nodes",
            id="huge-number",
        ),
        pytest.param(
            yaml.safe_dump({**GOOD, "deployment": {"gcp": {"password": "hunter2"}}}).encode(),
            "deployment.gcp.password: secrets are never read",
            id="a-password",
        ),
    ],
)
def test_hostile_answers_files_exit_2_naming_the_problem(
    content: bytes, field: str, tmp_path: Path, no_run: None
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    code, out, err = run_cli("run", "--answers", str(path))
    _assert_refused(code, out, err, field)
    assert "hunter2" not in err


def test_a_missing_answers_file_and_a_folder_exit_2(tmp_path: Path, no_run: None) -> None:
    _assert_refused(*run_cli("run", "--answers", str(tmp_path / "nope.yaml")), "--answers")
    _assert_refused(*run_cli("run", "--answers", str(tmp_path)), "--answers")


def test_a_deeply_nested_answers_file_exits_2(tmp_path: Path, no_run: None) -> None:
    """40 KB of brackets, well under the size limit: the parser recurses once per level."""
    path = tmp_path / "deep.yaml"
    path.write_text("project: " + "[" * 20_000 + "]" * 20_000 + "\n")
    _assert_refused(*run_cli("run", "--answers", str(path)), "deep.yaml: is nested too deeply")


@pytest.mark.parametrize(
    ("deployment", "field"),
    [
        pytest.param({"version": "9.9.9"}, "deployment.version", id="unknown-version"),
        pytest.param({"env": "no-such-env"}, "deployment.env", id="unknown-env"),
    ],
)
def test_a_version_kfwizard_does_not_offer_is_refused_before_anything_runs(
    deployment: dict[str, str], field: str, tmp_path: Path, no_run: None
) -> None:
    path = harness.write_answers(tmp_path, **deployment)
    try:
        result = run_cli("run", "--answers", str(path))
    except AssertionError as exc:  # no_run: the plan started
        pytest.fail(str(exc))
    _assert_refused(*result, field)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("project: My_Project\n", "project"),
        (
            "project: my-project\ncluster: {name: k, location: mars-1, nodes: 3}\n",
            "cluster.location",
        ),
        ("project: my-project\ncolour: blue\n", "colour"),
    ],
)
def test_the_real_command_exits_2_naming_the_field(text: str, field: str, tmp_path: Path) -> None:
    """The same through a real ``kfwizard`` process: exit status and stderr as users see."""
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "kfwizard", "run", "--answers", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=harness.child_env(tmp_path),
        check=False,
    )
    assert done.returncode == 2, done
    assert done.stderr.startswith(f"kfwizard: {field}: "), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert harness.audit_violations(tmp_path) == []
