"""Input rules for the Google Cloud side, as pure functions.

Each validator returns ``None`` when the value is fine or the rule text otherwise, so
the wizard can show it under the field and the answers loader can name the field. They
never raise, whatever they are given (a YAML file can hold anything).
"""

from __future__ import annotations

import re

from kfwizard.gcp import locations, machine_types, scopes

PROJECT_ID_RULE = (
    "a project id is 6 to 30 characters: lowercase letters, digits and hyphens; "
    "it starts with a letter and does not end with a hyphen"
)
CLUSTER_NAME_RULE = (
    "a cluster name is 1 to 40 characters: lowercase letters, digits and hyphens; "
    "it starts with a letter and does not end with a hyphen"
)
NODE_COUNT_RULE = "the node count is a whole number from 1 to 100"
GKE_VERSION_RULE = (
    "use latest, - (GKE's default), a minor version such as 1.33, a patch such as 1.33.5, "
    "or a full version such as 1.33.5-gke.1200000"
)
CONTEXT_RULE = 'a kubeconfig context name is needed (see "kubectl config get-contexts")'

MAX_NODES = 100

_PROJECT_RE = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_CLUSTER_RE = re.compile(r"[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?")
# family-type-N (n2d-highcpu-8), family-custom-CPUS-MIB (n2-custom-4-16384), custom-CPUS-MIB
# (N1 custom), each with an optional -ext suffix for extended memory.
_GKE_VERSION_RE = re.compile(r"\d+\.\d+(?:\.\d+(?:-gke\.\d+)?)?")
"""The version forms GKE's ``initialClusterVersion`` takes: 1.X, 1.X.Y, 1.X.Y-gke.N."""
GKE_VERSION_ALIASES = ("latest", "-", "default")
"""Words for a version: the newest GKE offers, and (either spelling) GKE's default."""
_MACHINE_RE = re.compile(
    r"(?:[a-z][a-z0-9]*-[a-z]+-\d+(?:-[a-z0-9]+)?"
    r"|(?:[a-z][a-z0-9]*-)?custom-\d+-\d+(?:-ext)?)"
)


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def validate_project_id(value: object) -> str | None:
    """Google Cloud project id rule (not the display name, not the project number)."""
    if not (isinstance(value, str) and _is_text(value) and _PROJECT_RE.fullmatch(value)):
        return PROJECT_ID_RULE
    return None


def validate_cluster_name(value: object) -> str | None:
    """GKE cluster name rule."""
    if not (isinstance(value, str) and _is_text(value) and _CLUSTER_RE.fullmatch(value)):
        return CLUSTER_NAME_RULE
    return None


def validate_location(value: object) -> str | None:
    """The zone or region must be one kfwizard knows; suggest near spellings."""
    if not _is_text(value) or not value:
        return "the location is a zone such as us-central1-a or a region such as us-central1"
    text = str(value)
    if locations.location_exists(text):
        return None
    close = locations.suggest(text.strip().lower())
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return (
        f"{text!r} is not a known Google Cloud zone or region "
        f"(for example us-central1-a or europe-west1){hint}"
    )


def is_known_machine_type(value: str) -> bool:
    return machine_types.get_machine_type(value) is not None


def validate_machine_type(value: object) -> str | None:
    """A known shape, or anything shaped like a Compute Engine machine type.

    Unknown but well-formed names (``c3-standard-8``, ``n2-custom-4-16384``) pass: GKE is
    the authority on what exists. :func:`machine_type_warning` says what we cannot do
    for them (estimate cost and size).
    """
    if not _is_text(value) or not value:
        return "the machine type is a name such as e2-standard-4 or n1-standard-2"
    text = str(value)
    if is_known_machine_type(text) or _MACHINE_RE.fullmatch(text):
        return None
    return (
        f"{text!r} does not look like a machine type; use family-type-N "
        "(e2-standard-4, n2-highmem-8) or family-custom-CPUS-MEMORY_MB (n2-custom-4-16384)"
    )


def machine_type_warning(value: str) -> str | None:
    """A warning for a well-formed type kfwizard has no data for; None for known shapes."""
    if validate_machine_type(value) is not None or is_known_machine_type(value):
        return None
    return (
        f"kfwizard has no size or price data for {value}, so it cannot estimate the cost "
        "or check that the nodes are big enough; GKE will still check the name exists."
    )


def validate_node_count(value: object) -> str | None:
    """Whole number of nodes, 1..100 (a bool is not a number here)."""
    if isinstance(value, str) and value.strip().isdigit():
        # nodes: "3" in YAML: "a whole number from 1 to 100" read as nonsense next to 3.
        return f'{NODE_COUNT_RULE}, written without quotes ({value.strip()}, not "{value}")'
    if isinstance(value, bool) or not isinstance(value, int):
        return NODE_COUNT_RULE
    if value < 1 or value > MAX_NODES:
        return NODE_COUNT_RULE
    return None


def validate_gke_version(value: object) -> str | None:
    """An alias or a version shaped the way GKE takes them; None or "" mean latest.

    GKE answers anything else with a bare HTTP 400 ("Master version ... is
    unsupported") only once the create runs. Whether a well-formed version is still
    offered is GKE's to say: kfwizard resolves it against the server config then.
    A number (YAML reads 1.30 as 1.3) is refused: it has lost the version's digits.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return f'the GKE version is text (in YAML, quoted: "1.33"); {GKE_VERSION_RULE}'
    if value in GKE_VERSION_ALIASES or _GKE_VERSION_RE.fullmatch(value):
        return None
    return f"{value!r} is not a version GKE takes; {GKE_VERSION_RULE}"


def validate_scopes(value: object) -> str | None:
    """gcloud scope aliases or full ``https://www.googleapis.com/auth/...`` URLs."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(s, str) for s in value):
        return "scopes are a list of gcloud scope names (compute-rw, gke-default) or scope URLs"
    unknown = [s for s in value if s not in scopes.SCOPE_ALIASES and not scopes.is_scope_url(s)]
    if unknown:
        known = ", ".join(sorted(scopes.SCOPE_ALIASES))
        return (
            f"unknown {'scope' if len(unknown) == 1 else 'scopes'} "
            f"{', '.join(repr(s) for s in unknown[:5])}; "
            f"use a full URL (https://www.googleapis.com/auth/...) or one of: {known}"
        )
    return None


def validate_kube_context(value: object) -> str | None:
    """Any non-empty context name; whether it exists is checked against the file later."""
    if not _is_text(value) or not str(value).strip():
        return CONTEXT_RULE
    return None
