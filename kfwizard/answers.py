"""The answers file: the wizard's selections as YAML, for headless runs and sharing.

A session's ``selections`` *is* an answers document, so a session exported from the
wizard is a valid answers file and the two round-trip. Loading checks every key and
value and reports each problem with the field's dotted name and the rule it breaks;
nothing is half-applied.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kfwizard.engine.errors import BadInput

MAX_ANSWERS_BYTES = 1_000_000

DEFAULT_SELECTIONS: dict[str, Any] = {
    "name": "",
    "project": "",
    "services": "enable",
    "cluster": {
        "source": "create",
        "name": "kubeflow-testing",
        "location": "us-central1-a",
        "machine_type": "n1-standard-2",
        "nodes": 3,
        "scopes": ["compute-rw", "gke-default", "storage-rw"],
        "version": "latest",
        "context": None,
    },
    "deployment": {
        "mode": "kfp-standalone",
        "version": "2.17.0",
        "env": "platform-agnostic",
        "manifests": None,
        "gcp": {"bucket": None, "cloudsql_instance": None, "db_user": "root"},
    },
}

SERVICES_POLICIES = ("enable", "check")
CLUSTER_SOURCES = ("create", "existing", "kubeconfig")
MODES = ("kfp-standalone", "kfp-gcp", "kubeflow")
TOP_KEYS = ("name", "project", "services", "cluster", "deployment", "skip_checks")
CLUSTER_KEYS = (
    "source",
    "name",
    "location",
    "machine_type",
    "nodes",
    "scopes",
    "version",
    "context",
)
DEPLOYMENT_KEYS = ("mode", "version", "env", "manifests", "gcp")
GCP_KEYS = ("bucket", "cloudsql_instance", "db_user")
SECRET_KEYS = ("password", "db_password", "token", "secret")


@dataclass(frozen=True)
class FieldError:
    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


def defaults() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_SELECTIONS)


def mode_defaults(mode: object, version: object = None) -> dict[str, str]:
    """The version and env a deployment gets when the answers leave them out.

    ``DEFAULT_SELECTIONS`` spells out KFP standalone 2.17.0's; any other mode or version
    gets the catalog's (the standalone ``2.17.0`` / ``platform-agnostic`` would be
    refused for another mode, and older KFP releases recommend another env).
    """
    base = DEFAULT_SELECTIONS["deployment"]
    if mode not in MODES or (mode == base["mode"] and version in (None, base["version"])):
        return {"version": base["version"], "env": base["env"]}
    from kfwizard.manifests import catalog  # only for the choices that need it

    chosen = version if isinstance(version, str) and version else None
    version = chosen or catalog.default_version(str(mode))
    return {"version": version, "env": catalog.default_env(str(mode), version)}


def merged_with_defaults(selections: dict[str, Any]) -> dict[str, Any]:
    """Fill missing keys from the defaults (the 2021 recipe's choices; a mode's own
    version and env when only the mode is given)."""
    chosen = selections.get("deployment")
    if isinstance(chosen, dict) and not ("version" in chosen and "env" in chosen):
        mode = chosen.get("mode", DEFAULT_SELECTIONS["deployment"]["mode"])
        own = mode_defaults(mode, chosen.get("version"))
        selections = {**selections, "deployment": {**own, **chosen}}
    result = defaults()
    for key, value in selections.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            inner = result[key]
            for k, v in value.items():
                if isinstance(v, dict) and isinstance(inner.get(k), dict):
                    inner[k] = {**inner[k], **v}
                else:
                    inner[k] = v
        else:
            result[key] = value
    return result


def _check_keys(
    errors: list[FieldError], prefix: str, data: dict[str, Any], allowed: tuple[str, ...]
) -> None:
    for key in data:
        name = f"{prefix}{key}" if isinstance(key, str) else f"{prefix}{key!r}"
        if isinstance(key, str) and key.lower() in SECRET_KEYS:
            errors.append(
                FieldError(
                    name,
                    "secrets are never read from answers files; kfwizard asks for them when needed",
                )
            )
        elif key not in allowed:
            errors.append(FieldError(name, f"unknown key; allowed here: {', '.join(allowed)}"))


def _text(
    errors: list[FieldError], field: str, value: Any, *, optional: bool = False, limit: int = 200
) -> str | None:
    if value is None or value == "":
        if optional:
            return None
        errors.append(FieldError(field, "is required"))
        return None
    if not isinstance(value, str):
        errors.append(FieldError(field, f"must be text, not {type(value).__name__}"))
        return None
    if len(value) > limit:
        errors.append(FieldError(field, f"must be at most {limit} characters"))
        return None
    if any(ord(ch) < 32 for ch in value):
        errors.append(FieldError(field, "must not contain control characters"))
        return None
    return value


def _rule(errors: list[FieldError], field: str, message: str | None) -> None:
    if message:
        errors.append(FieldError(field, message))


def validate_selections(data: Any, *, partial: bool = False) -> list[FieldError]:
    """Every problem in ``data``, each naming its field. Empty means valid.

    ``partial`` accepts a project and kfp-gcp inputs that are not filled in yet (the
    wizard validates as the user goes; a headless run needs everything). A plan that
    uses no Google service (a kubeconfig cluster, no kfp-gcp) never asks for a project,
    so it is required only when :func:`engine.plan.needs_google` says the plan has the
    project steps: the plan and this check read the same rule.
    """
    from kfwizard.engine.plan import needs_google
    from kfwizard.gcp import validation

    errors: list[FieldError] = []
    if not isinstance(data, dict):
        return [FieldError("(answers)", "must be a mapping of keys to values")]
    _check_keys(errors, "", data, TOP_KEYS)
    _text(errors, "name", data.get("name"), optional=True, limit=80)
    shape = {key: data.get(key) for key in ("cluster", "deployment")}
    google = needs_google({k: v for k, v in shape.items() if isinstance(v, dict)})
    project = _text(
        errors, "project", data.get("project"), optional=partial or not google, limit=100
    )
    if project is not None:
        _rule(errors, "project", validation.validate_project_id(project))
    services = data.get("services", "enable")
    if services not in SERVICES_POLICIES:
        errors.append(FieldError("services", f"must be one of {', '.join(SERVICES_POLICIES)}"))

    cluster = data.get("cluster", {})
    if not isinstance(cluster, dict):
        errors.append(FieldError("cluster", "must be a mapping"))
        cluster = {}
    _check_keys(errors, "cluster.", cluster, CLUSTER_KEYS)
    source = cluster.get("source", "create")
    if source not in CLUSTER_SOURCES:
        errors.append(FieldError("cluster.source", f"must be one of {', '.join(CLUSTER_SOURCES)}"))
    _check_cluster(errors, cluster, source, partial=partial)

    deployment = data.get("deployment", {})
    if not isinstance(deployment, dict):
        errors.append(FieldError("deployment", "must be a mapping"))
        deployment = {}
    _check_keys(errors, "deployment.", deployment, DEPLOYMENT_KEYS)
    before = len(errors)
    mode = deployment.get("mode", "kfp-standalone")
    if mode not in MODES:
        errors.append(FieldError("deployment.mode", f"must be one of {', '.join(MODES)}"))
    implied = mode_defaults(mode, deployment.get("version"))
    version = deployment.get("version", implied["version"])
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        errors.append(FieldError("deployment.version", 'must be quoted text, e.g. "2.17.0"'))
    else:
        _text(errors, "deployment.version", version, limit=40)
    env = deployment.get("env", implied["env"])
    _text(errors, "deployment.env", env, optional=True, limit=80)
    manifests = deployment.get("manifests")
    if manifests is not None and _text(errors, "deployment.manifests", manifests, limit=4096):
        _check_manifests_path(errors, manifests)
    if len(errors) == before:
        _check_catalog(
            errors,
            mode,
            version,
            env,
            local_manifests=bool(manifests),
            on_gke=source in GKE_SOURCES,
        )
    gcp = deployment.get("gcp") or {}
    if not isinstance(gcp, dict):
        errors.append(FieldError("deployment.gcp", "must be a mapping"))
    else:
        _check_keys(errors, "deployment.gcp.", gcp, GCP_KEYS)
        for key in GCP_KEYS:
            _text(errors, f"deployment.gcp.{key}", gcp.get(key), optional=True)
        if mode == "kfp-gcp":
            _check_gcp_inputs(errors, gcp, partial=partial)
    skip = data.get("skip_checks")
    if skip is not None and not (
        isinstance(skip, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in skip.items())
    ):
        errors.append(
            FieldError("skip_checks", "must map a check name to the reason for skipping it")
        )
    elif skip:
        _check_skip_names(errors, skip)
    return errors


NEW_CLUSTER_SHAPE = {
    "machine_type": "n1-standard-2",
    "nodes": 3,
    "scopes": [],
    "version": "latest",
}
"""The fields only a cluster to create uses, and what each is when left out."""


def _check_cluster(
    errors: list[FieldError], cluster: dict[str, Any], source: object, *, partial: bool
) -> None:
    """Check every ``cluster`` field given, whatever the source; require those it uses.

    A field the source does not use (``nodes`` for an existing cluster, ``context`` for
    one to create) was stored unchecked: ``nodes: lots``, ``context: "   "``, a list
    where text goes. It is kept, since the wizard uses it again when the user switches
    source there, so it is held to its rule; left out (or empty), it is not needed.
    """
    from kfwizard.gcp import validation

    on_gke = source != "kubeconfig"  # an unknown source is refused above; judged as GKE
    for key, rule in (
        ("name", validation.validate_cluster_name),
        ("location", validation.validate_location),
    ):
        value = _text(errors, f"cluster.{key}", cluster.get(key), optional=not on_gke)
        if value is not None:
            _rule(errors, f"cluster.{key}", rule(value))
    context = _text(
        errors,
        "cluster.context",
        cluster.get("context"),
        optional=partial or source != "kubeconfig",
    )
    if context is not None:
        _rule(errors, "cluster.context", validation.validate_kube_context(context))

    creating = source == "create"
    shape = {
        key: cluster.get(key, default) if creating else cluster.get(key)
        for key, default in NEW_CLUSTER_SHAPE.items()
    }
    if creating or shape["machine_type"] not in (None, ""):
        machine = _text(errors, "cluster.machine_type", shape["machine_type"])
        if machine is not None:
            _rule(errors, "cluster.machine_type", validation.validate_machine_type(machine))
    if creating or shape["nodes"] not in (None, ""):
        _rule(errors, "cluster.nodes", validation.validate_node_count(shape["nodes"]))
    scopes = shape["scopes"]
    if scopes is None and not creating:
        pass
    elif not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        errors.append(FieldError("cluster.scopes", "must be a list of scope names or URLs"))
    else:
        _rule(errors, "cluster.scopes", validation.validate_scopes(scopes))
    version = shape["version"]
    if version is not None and not isinstance(version, str):
        errors.append(FieldError("cluster.version", "must be text such as latest or 1.33"))
    else:
        _rule(errors, "cluster.version", validation.validate_gke_version(version))


def _check_gcp_inputs(errors: list[FieldError], gcp: dict[str, Any], *, partial: bool) -> None:
    """Refuse a kfp-gcp bucket, Cloud SQL instance or database user the manifests step
    would refuse, when the file is read.

    The step checks them only when it fills them into the manifests, after APIs were
    enabled and a billable cluster created. The rules are the Mode screen's own
    (``catalog.gcp_input_problems``), so the file and the screen never disagree. A field
    already refused (not text, a secret) is not named twice; ``partial`` lets an empty
    one wait, as the screen does until the user moves on.
    """
    from kfwizard.manifests import catalog

    named = {e.field for e in errors}
    for field, rule, value in catalog.gcp_input_problems(gcp):
        if field in named or (partial and value in (None, "")):
            continue
        errors.append(FieldError(field, rule))


def manifests_path_problem(manifests: str) -> str | None:
    """Why the manifests path ``manifests`` cannot be read here, or None.

    The manifests step reads the path as given (``~`` expanded, relative to the folder
    kfwizard runs in); a typo used to surface there, after APIs were enabled and a
    billable cluster created. Shared by ``deployment.manifests`` and ``--manifests``.
    """
    path = Path(manifests).expanduser()
    try:
        found = path.exists()
    except OSError as exc:  # a name too long for the file system, say
        return f"cannot be read: {exc.strerror}"
    if not found:
        return f"does not exist: {path}; give a folder of rendered YAML or a kustomize tree"
    return None


def _check_manifests_path(errors: list[FieldError], manifests: str) -> None:
    """Refuse a ``deployment.manifests`` that is not on this machine, when the file is read."""
    _rule(errors, "deployment.manifests", manifests_path_problem(manifests))


def _check_skip_names(errors: list[FieldError], skip: dict[str, str]) -> None:
    """Refuse a check name preflight and verify do not know, when the file is read.

    Preflight refuses unknown names only when it runs, after the cluster was created; the
    known names are its own (``kube.preflight``), so the two never disagree.
    """
    from kfwizard.kube.preflight import CHECK_NAMES, VERIFY_SKIPPABLE

    known = CHECK_NAMES + VERIFY_SKIPPABLE
    for name, reason in skip.items():
        if name not in known:
            errors.append(
                FieldError(f"skip_checks.{name}", f"unknown check name; known: {', '.join(known)}")
            )
        elif not reason.strip():
            # The reason is shown wherever the skipped check would have been: a skip
            # nobody explained is one nobody remembers making.
            errors.append(
                FieldError(f"skip_checks.{name}", "needs the reason for skipping it (any words)")
            )


CATALOG_FIELDS = {
    "unknown-mode": "deployment.mode",
    "unknown-env": "deployment.env",
    "dev-master-images": "deployment.env",
    "gcp-no-object-store": "deployment.env",
    "istio-cni-gke": "deployment.env",
}
"""Catalog refusal rule -> the field to fix; every other rule is about the version."""


GKE_SOURCES = ("create", "existing")
"""Cluster sources that are GKE clusters (a kubeconfig context can be any cluster)."""

GKE_OLDEST_KUBERNETES = "1.22"
"""No GKE cluster runs an older Kubernetes: GKE ended 1.21 in January 2023 and upgrades
clusters past the end of support. A release whose CRDs 1.22 removed (KFP 1.6.0) can never
install on GKE, new cluster or existing."""


def _check_catalog(
    errors: list[FieldError],
    mode: str,
    version: str,
    env: str | None,
    *,
    local_manifests: bool,
    on_gke: bool,
) -> None:
    """Refuse what the manifests step would refuse on this cluster, before anything runs.

    An unknown version or env, or KFP 1.6.0 on GKE, used to enable APIs and create a
    billable cluster before the manifests step said no. The same
    :func:`catalog.refusals` judges both: on GKE with the oldest Kubernetes GKE runs (a
    rule that fails there fails on every GKE cluster) and ``on_gke`` as the mode screen
    passes it; on a kubeconfig context with the cluster unknown (its rules wait for the
    manifests step). ``local_manifests`` is passed as the step passes it: a
    ``deployment.manifests`` folder changes only the ``:master`` images rule, never which
    versions exist.
    """
    from kfwizard.manifests import catalog  # heavy: only when an answers file is loaded

    server = GKE_OLDEST_KUBERNETES if on_gke else None
    for refusal in catalog.refusals(
        mode,
        version,
        env,
        server,
        None,
        on_gke=True if on_gke else None,
        local_manifests=local_manifests,
    ):
        field = CATALOG_FIELDS.get(refusal.rule, "deployment.version")
        if mode == "kfp-gcp" and field == "deployment.env":  # kfp-gcp is env/gcp by definition
            field = "deployment.version"
        errors.append(FieldError(field, _said_of_gke(refusal.message())))


def _said_of_gke(message: str) -> str:
    """The refusal as true of every GKE cluster: judged at GKE's oldest Kubernetes, it
    says "this cluster runs 1.22", and no cluster exists yet."""
    return message.replace(
        f"this cluster runs {GKE_OLDEST_KUBERNETES}",
        f"every GKE cluster runs {GKE_OLDEST_KUBERNETES} or later",
    )


def _yaml_problem(exc: Exception) -> str:
    """The parser's complaint in words a person can act on (a tab is the usual one)."""
    problem = str(getattr(exc, "problem", "") or exc).strip()
    if "'\\t'" in problem:
        return "a tab; YAML indents with spaces only"
    return problem


class AliasesExpandTooFar(Exception):
    """The document's YAML aliases repeat more than an answers file may hold
    (``endless``: one repeats the value it is inside)."""

    def __init__(self, endless: bool = False) -> None:
        super().__init__()
        self.endless = endless


def _expanded_size(root: Any) -> int:
    """How many characters the YAML node graph ``root`` stands for once its aliases are
    written out (each scalar's length, plus one per node), counted up to just past
    ``MAX_ANSWERS_BYTES``; an alias that repeats the value holding it counts as too far.

    Each node is counted once and its total reused, so ten levels of ten aliases each
    (a "billion laughs") are counted in a hundred steps, not a billion.
    """
    import yaml

    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:  # &a [*a]: it would never end
            raise AliasesExpandTooFar(endless=True)
        open_nodes.add(key)
        if isinstance(node, yaml.ScalarNode):
            total = 1 + len(str(node.value))
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(item) for item in node.value)
        else:
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        open_nodes.discard(key)
        sizes[key] = total = min(total, MAX_ANSWERS_BYTES + 1)
        return total

    return size(root)


def _answers_loader() -> type:
    """``SafeLoader`` that refuses a key given twice: with the plain loader the second
    value wins without a word, and a user who edits the first one sees no effect.

    And a document whose aliases (``*name``) repeat it past the file's own size limit
    (:class:`AliasesExpandTooFar`): a few lines of anchors and aliases stand for
    gigabytes once written out, as the session file does; one such file made a 2.4 MB
    session."""
    import yaml

    class AnswersLoader(yaml.SafeLoader):
        def get_single_node(self) -> Any:
            node = super().get_single_node()
            if node is not None and _expanded_size(node) > MAX_ANSWERS_BYTES:
                raise AliasesExpandTooFar
            return node

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # "<<:" merges a mapping in; flatten_mapping handles it
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    continue  # an odd key: the plain loader's own check names it
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"the key {key!r} is given twice; keep one",
                        key_node.start_mark,
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return AnswersLoader


def parse_answers_text(
    text: str, source: str = "answers file", *, project: str | None = None
) -> dict[str, Any]:
    """Parse and validate YAML text; raise :class:`BadInput` naming the first bad field.

    ``project`` is used when the file names none (the demo's own project, as the wizard's
    demo fills it in); without it a file must name its project.
    """
    import yaml

    try:
        data = yaml.load(text, Loader=_answers_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise BadInput(source, f"is not valid YAML{where}: {_yaml_problem(exc)}") from None
    except RecursionError:  # [[[[...]]]]: the parser recurses once per level
        raise BadInput(source, "is nested too deeply") from None
    except AliasesExpandTooFar as exc:
        raise BadInput(
            source,
            "a YAML alias (*name) in it repeats the value it is inside, without end"
            if exc.endless
            else f"its YAML aliases (*name) expand it past {MAX_ANSWERS_BYTES // 1000} kB, "
            "the most an answers file may hold",
            action=f"write the values out in {source} instead of repeating them with "
            "anchors and aliases, then run again",
        ) from None
    if data is None:
        data = {}
    if project and isinstance(data, dict) and data.get("project") in (None, ""):
        data["project"] = project
    errors = validate_selections(data)
    if errors:
        first = errors[0]
        fields = list(dict.fromkeys(e.field for e in errors))
        shown = fields[:4]
        named = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
        if len(fields) > len(shown):
            named += f" (and {len(fields) - len(shown)} more)"
        raise BadInput(
            first.field, first.rule + _more(errors), action=f"fix {named} in {source} and run again"
        )
    return merged_with_defaults(data)


def _more(errors: list[FieldError]) -> str:
    if len(errors) == 1:
        return ""
    rest = "; ".join(str(e) for e in errors[1:4])
    extra = f" (+{len(errors) - 4} more)" if len(errors) > 4 else ""
    return f". Also: {rest}{extra}"


def load_answers(path: Path, *, project: str | None = None) -> dict[str, Any]:
    """Read an answers file; every problem is a :class:`BadInput` (exit code 2).

    ``project`` is the one used when the file names none (see :func:`parse_answers_text`).
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BadInput("--answers", f"cannot read {path}: {exc.strerror}") from None
    if size > MAX_ANSWERS_BYTES:
        raise BadInput("--answers", f"{path} is larger than {MAX_ANSWERS_BYTES // 1000} kB")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput("--answers", f"cannot read {path} as UTF-8 text: {exc}") from None
    return parse_answers_text(text, source=str(path), project=project)


def dump_answers(selections: dict[str, Any]) -> str:
    """The selections as an answers file (YAML), keys in a stable, readable order."""
    import yaml

    ordered: dict[str, Any] = {}
    for key in TOP_KEYS:
        if key in selections and selections[key] is not None:
            ordered[key] = selections[key]
    header = "# kfwizard answers file: `kfwizard run --answers THIS_FILE`\n"
    return header + yaml.safe_dump(ordered, sort_keys=False, default_flow_style=False)
