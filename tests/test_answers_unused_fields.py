"""Answers a source does not use are checked too, and YAML aliases cannot blow a few
lines up into megabytes.

With ``cluster.source: existing``, ``nodes: lots`` or ``machine_type: [x]`` were stored
unchecked, and ``context: "   "`` was accepted; an alias bomb in those fields made a
2.4 MB session file (exponential with more levels).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kfwizard.answers import parse_answers_text
from kfwizard.cli import main
from kfwizard.engine.errors import BadInput
from kfwizard.session import SessionStore

EXISTING = {"source": "existing", "name": "kf1", "location": "us-central1-a"}
KUBECONFIG = {"source": "kubeconfig", "context": "kind-kf"}


def _parsed(cluster: dict[str, Any]) -> dict[str, Any]:
    data = {"project": "my-project-123", "cluster": cluster}
    return parse_answers_text(yaml.safe_dump(data), source="a.yaml")


@pytest.mark.parametrize(
    ("cluster", "field", "words"),
    [
        ({**EXISTING, "nodes": "lots"}, "cluster.nodes", "whole number from 1 to 100"),
        ({**EXISTING, "machine_type": ["x"]}, "cluster.machine_type", "must be text"),
        ({**EXISTING, "machine_type": "big"}, "cluster.machine_type", "does not look like"),
        ({**EXISTING, "scopes": "all"}, "cluster.scopes", "list of scope names"),
        ({**EXISTING, "scopes": ["everything"]}, "cluster.scopes", "unknown scope"),
        ({**EXISTING, "version": 1.3}, "cluster.version", "must be text"),
        ({**EXISTING, "version": "newest"}, "cluster.version", "not a version GKE takes"),
        ({**EXISTING, "context": "   "}, "cluster.context", "kubeconfig context name"),
        ({**EXISTING, "context": ["a"]}, "cluster.context", "must be text"),
        ({**EXISTING, "source": "create", "context": " "}, "cluster.context", "context name"),
        ({"source": "kubeconfig", "context": "   "}, "cluster.context", "context name"),
        ({**KUBECONFIG, "name": "Not_A_Name"}, "cluster.name", "name"),
        ({**KUBECONFIG, "location": "mars-1"}, "cluster.location", "not a known"),
        ({**KUBECONFIG, "nodes": 0}, "cluster.nodes", "whole number from 1 to 100"),
    ],
)
def test_a_field_the_source_does_not_use_is_held_to_its_rule(
    cluster: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(BadInput) as refused:
        _parsed(cluster)
    assert refused.value.field == field, refused.value.message()
    assert words in refused.value.rule, refused.value.rule
    assert f"fix {field} in a.yaml" in str(refused.value.action)


def test_valid_unused_fields_are_kept_and_empty_ones_are_not_needed() -> None:
    """The wizard uses them again when the user switches source there."""
    kept = _parsed({**EXISTING, "nodes": 5, "machine_type": "e2-standard-4", "context": "kind"})
    assert kept["cluster"]["nodes"] == 5 and kept["cluster"]["machine_type"] == "e2-standard-4"
    assert kept["cluster"]["context"] == "kind"
    # A session's own selections: the create fields left as they were, or emptied.
    empty = {"nodes": None, "machine_type": "", "scopes": None, "version": None, "context": None}
    assert _parsed({**EXISTING, **empty})["cluster"]["source"] == "existing"
    assert _parsed({**KUBECONFIG, "name": None, "location": ""})["cluster"]["context"] == "kind-kf"


def _alias_bomb(levels: int) -> str:
    """``levels`` nested lists of ten aliases each, inside ``cluster.nodes``."""

    def level(n: int) -> str:
        if n == 0:
            return "&a0 [" + ", ".join(["lol"] * 10) + "]"
        return f"&a{n} [{level(n - 1)}" + f", *a{n - 1}" * 9 + "]"

    return (
        "project: my-project-123\ncluster:\n  source: existing\n  name: kf1\n"
        f"  location: us-central1-a\n  nodes: {level(levels)}\n"
    )


@pytest.mark.parametrize("levels", [5, 9, 30])
def test_aliases_that_expand_past_the_file_limit_are_refused(levels: int) -> None:
    with pytest.raises(BadInput) as refused:
        parse_answers_text(_alias_bomb(levels), source="a.yaml")
    assert refused.value.exit_code == 2 and refused.value.field == "a.yaml"
    assert "YAML aliases (*name) expand it past 1000 kB" in refused.value.rule
    assert "write the values out in a.yaml" in str(refused.value.action)


def test_an_alias_inside_the_value_it_names_is_refused() -> None:
    text = (
        "project: my-project-123\n"
        "cluster: &c {source: existing, name: kf1, location: us-central1-a, nodes: *c}\n"
    )
    with pytest.raises(BadInput) as refused:
        parse_answers_text(text, source="a.yaml")
    assert refused.value.rule == (
        "a YAML alias (*name) in it repeats the value it is inside, without end"
    )


def test_a_few_aliases_still_work() -> None:
    """Anchors and aliases within the limit are plain YAML: a merged-in mapping."""
    text = (
        "project: my-project-123\ncluster:\n  <<: &where {name: kf-one, location: us-central1-a}\n"
        "  nodes: 4\nname: kf-one\n"
    )
    merged = parse_answers_text(text, source="a.yaml")
    assert merged["cluster"]["name"] == "kf-one" and merged["cluster"]["nodes"] == 4


def test_a_run_from_an_alias_bomb_starts_no_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "bomb.yaml"
    answers.write_text(_alias_bomb(9))
    assert main(["run", "--answers", str(answers), "--until", "project"]) == 2
    captured = capsys.readouterr()
    assert "YAML aliases (*name) expand it past 1000 kB" in captured.err
    assert "New session" not in captured.out
    assert SessionStore().list() == []
