"""Step 2, Cluster: create a GKE cluster, adopt an existing one, or use a kubeconfig context.

People could not judge size and cost before creating a cluster, and pods then sat
Pending for lack of CPU. So before anything is created this screen shows the node
pool against what the chosen deployment needs, and an hourly and monthly estimate with
the price table's date and source. Existing clusters and kubeconfig contexts are listed
in workers (the GKE client and the file read stay off the event loop).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.containers import Vertical
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, RadioButton, RadioSet, Select, Static

from kfwizard.engine.steps.cluster import EXISTING_LABEL
from kfwizard.screens.form import FormScreen
from kfwizard.screens.rules import check
from kfwizard.widgets.commands_box import CommandsBox
from kfwizard.widgets.field import Field
from kfwizard.wording import plural

HERE = Path(__file__).parent
"""Stylesheets are found from here, also for subclasses defined elsewhere."""

SOURCES: list[tuple[str, str]] = [
    ("create", "New cluster"),
    ("existing", EXISTING_LABEL),
    ("kubeconfig", "kubeconfig"),
]


def machine_options() -> list[tuple[str, str]]:
    """(label, value) for the machine type list: name, vCPUs, memory, price."""
    from kfwizard.gcp.machine_types import MACHINE_TYPES

    return [
        (f"{m.name}  ·  {m.vcpus:g} vCPU, {m.memory_gib:g} GiB  ·  ${m.hourly_usd:.3f}/h", m.name)
        for m in MACHINE_TYPES.values()
    ]


CREATE_RULES: dict[str, str] = {
    "name": "validate_cluster_name",
    "location": "validate_location",
    "machine_type": "validate_machine_type",
    "nodes": "validate_node_count",
    "scopes": "validate_scopes",
    "version": "validate_gke_version",
}
"""The create form's field keys (``#field-KEY``, ``cluster.KEY``) and their validators."""


ACTION_BY_NEXT: dict[str, str] = {
    "create": "Create cluster",
    "follow": "Resume create",
    "reuse": "Connect",
}
"""The New cluster button by what the step will do: a create stopped midway is
followed, not made again, and a cluster this session created is used as it is."""


def as_typed(value: Any) -> str:
    """A stored value as the text the user typed: only a missing one is empty (a node
    count of 0 must come back as "0", not as the placeholder's 3 under an error)."""
    return "" if value is None else str(value)


def status_word(status: Any) -> str:
    """GKE's cluster status as a word for the list ("running", "provisioning"): the
    enum's name, since ``str()`` of the proto-plus enum is its number on Python 3.11+
    ("2"), which tells the user nothing."""
    from kfwizard.gcp.clusters import enum_name

    name = enum_name(status) if status is not None else ""
    if not name or name.isdigit() or name == "STATUS_UNSPECIFIED":
        return "status unknown"
    return name.lower().replace("_", " ")


def location_suggestions() -> list[str]:
    from kfwizard.gcp.locations import REGIONS, ZONES

    return sorted([*ZONES, *REGIONS])


class ClusterScreen(FormScreen):
    PHASE = "cluster"
    CSS_PATH = HERE / "cluster.tcss"
    ACTION_LABEL = "Create cluster"
    INTRO = (
        "Choose where Kubeflow Pipelines will run: a new GKE cluster (sized and priced "
        "below before anything is created), an existing GKE cluster, or any cluster "
        "in your kubeconfig."
    )
    HELP = (
        "**What happens here.** *New cluster* asks GKE to create a Standard cluster with the "
        "node pool you choose and waits for it (usually 5-10 minutes; the log shows the "
        "operation's progress). Cancelling stops kfwizard, not GKE: the cluster is still "
        "created, and Resume follows the same operation. *Existing GKE* adopts a cluster "
        "already in the project. Either way kfwizard then writes a kubeconfig context named "
        "like gcloud's (`gke_PROJECT_LOCATION_NAME`) so `kubectl` works too. *kubeconfig* uses a "
        "cluster you already reach with kubectl (GKE or not).\n\n"
        "**Why the estimate.** Too small a node pool leaves pods Pending; too big costs money "
        "every hour. The card compares what the pool leaves for pods with what the chosen "
        "deployment needs, and prices the nodes from a dated price table. It is a guide, not "
        "a quote: disks, network and load balancers are extra.\n\n"
        "**Deleting later.** A cluster this session creates is recorded, so Teardown (on "
        "Verify, or `kfwizard teardown`) can delete it. A cluster you bring is never deleted "
        "unless you type its name."
    )
    ACTION_BY_SOURCE: ClassVar[dict[str, str]] = {
        "create": "Create cluster",
        "existing": "Connect",
        "kubeconfig": "Connect",
    }

    def __init__(self) -> None:
        super().__init__()
        self._clusters: list[dict[str, Any]] = []
        self._clusters_listed = False
        """GKE answered the cluster list (an empty list then means there are none)."""
        self._list_problem: str | None = None
        """Why the list could not be read (connecting would fail the same way)."""
        self._contexts_problem: str | None = None
        """Why the kubeconfig's contexts could not be listed, in words (None: listed,
        or not read yet)."""
        self._cost_shown: Content | None = None
        """What the estimate card shows now."""

    @property
    def cluster(self) -> dict[str, Any]:
        return self.choices.setdefault("cluster", {})

    @property
    def source(self) -> str:
        source = self.cluster.get("source") or "create"
        return source if source in dict(SOURCES) else "create"

    # -- layout --------------------------------------------------------------------
    def compose_main(self) -> Any:
        yield Field(
            "Cluster",
            RadioSet(
                *(RadioButton(label, id=f"source-{key}") for key, label in SOURCES),
                id="source",
                compact=True,
            ),
            id="field-source",
        )
        with Vertical(id="create-fields"):
            yield Field(
                "Name",
                Input(placeholder="kubeflow-testing", id="name", compact=True),
                id="field-name",
            )
            yield Field(
                "Location",
                Input(
                    placeholder="us-central1-a",
                    id="location",
                    compact=True,
                    suggester=SuggestFromList(location_suggestions(), case_sensitive=False),
                ),
                hint="A zone (one control plane, cheaper) or a region (three zones).",
                id="field-location",
            )
            yield Field(
                "Machine type",
                Select(
                    machine_options(),
                    value=self._initial_machine(),
                    id="machine_type",
                    compact=True,
                    allow_blank=False,
                ),
                id="field-machine_type",
            )
            yield Field(
                "Nodes",
                Input(placeholder="3", id="nodes", type="integer", compact=True),
                id="field-nodes",
            )
            yield Field(
                "Scopes",
                Input(placeholder="compute-rw, gke-default, storage-rw", id="scopes", compact=True),
                hint="OAuth scopes of the nodes, comma-separated (gcloud names or URLs).",
                id="field-scopes",
            )
            yield Field(
                "GKE version",
                Input(placeholder="latest", id="version", compact=True),
                hint="latest, or a minor version such as 1.33.",
                id="field-version",
            )
            cost = Static(id="cost")
            cost.border_title = "Size and cost estimate"
            yield cost
        with Vertical(id="existing-fields"):
            yield Field(
                "GKE cluster",
                Select([], id="existing", compact=True, prompt="Loading clusters…"),
                id="field-existing",
            )
            yield Button("Reload list", id="reload-clusters", compact=True)
        with Vertical(id="kubeconfig-fields"):
            yield Field(
                "Context",
                Select([], id="context", compact=True, prompt="Reading kubeconfig…"),
                id="field-context",
            )

    def _initial_machine(self) -> str:
        from kfwizard.gcp.machine_types import MACHINE_TYPES

        machine = str(self.cluster.get("machine_type") or "")
        return machine if machine in MACHINE_TYPES else "n1-standard-2"

    # -- loading -------------------------------------------------------------------
    def load_fields(self) -> None:
        cluster = self.cluster
        self.query_one(f"#source-{self.source}", RadioButton).value = True
        self.query_one("#name", Input).value = as_typed(cluster.get("name"))
        self.query_one("#location", Input).value = as_typed(cluster.get("location"))
        self.query_one("#nodes", Input).value = as_typed(cluster.get("nodes"))
        scopes = cluster.get("scopes")
        self.query_one("#scopes", Input).value = (
            ", ".join(scopes) if isinstance(scopes, list) else as_typed(scopes)
        )
        self.query_one("#version", Input).value = as_typed(cluster.get("version"))
        self._show_source()
        self._update_cost()
        self._show_typed_problems()

    def _show_typed_problems(self) -> None:
        """Coming back to values typed earlier, their rules show at once: the nav line
        already counts them, and the fields must say which. An empty field is left
        quiet (a first visit is not greeted with errors); ctrl+n names it."""
        for key, value, rule in self._create_checks():
            if rule and value not in (None, "", []):
                self._recheck(key, rule)

    def _show_source(self) -> None:
        source = self.source
        self.query_one("#create-fields").display = source == "create"
        self.query_one("#existing-fields").display = source == "existing"
        self.query_one("#kubeconfig-fields").display = source == "kubeconfig"
        if source == "existing" and not self._clusters:
            self.load_clusters()
        if source == "kubeconfig":
            self.load_contexts()

    def next_action(self) -> str:
        """What the cluster step will do now (see ``engine.steps.cluster.next_action``)."""
        from kfwizard.engine.steps.cluster import next_action

        return next_action(self.session)

    def run_is_consent(self) -> bool:
        """Only a button that read "Create cluster", priced above, agreed to a new
        cluster. "Resume create" agreed to follow the create already running: should
        GKE have dropped it, a new create is asked about, not made on the quiet."""
        from kfwizard.engine.steps.cluster import CREATE

        return self.source == "create" and self.next_action() == CREATE

    def primary_label(self) -> str:
        label = super().primary_label()
        if label != self.ACTION_LABEL:
            return label
        if self.source == "create":
            return ACTION_BY_NEXT.get(self.next_action(), label)
        return self.ACTION_BY_SOURCE.get(self.source, label)

    def update_nav(self) -> None:
        """Also the estimate's first line: a run (or a new name) can turn a create into
        following one or reusing a cluster, and the card must stop promising a create.
        A done step on a cluster too small for the mode says so next to the button:
        "✓ This step is done" alone read as "and it fits"."""
        super().update_nav()
        if not self.is_attached:
            return
        self._update_cost()
        price = self.price_status()
        if price is not None:
            self.query_one("#nav-status", Static).update(price)
        live = self.live_size()
        if live is None or not self._done_shown():
            return
        sizing = self._sizing(live[0], live[1])
        if sizing.known and not sizing.fits:
            self.query_one("#nav-status", Static).update(
                Content.from_markup(
                    "[$text-warning]✓ Done, but $size is too small for $mode[/]",
                    size=f"{live[1]} × {live[0]}",
                    mode=self._mode(),
                )
            )

    def price_status(self) -> Content | None:
        """The new cluster's fit and price, next to the Create button that agrees to
        it: at 80x24 the estimate card is below the fold, and a create must not be one
        keypress away from a bill the screen does not show. None when the nav line has
        something else to say (a run, fields to fix, a failure, done) or nothing is
        to be created."""
        from kfwizard.engine.steps.cluster import CREATE
        from kfwizard.gcp.clusters import total_nodes
        from kfwizard.gcp.sizing import cost_summary

        if self.running or self.source != "create" or self.next_action() != CREATE:
            return None
        if self.validate_fields(show=False) or (self.failure_shown() and not self.dirty):
            return None
        if self.phase_done() and not self.dirty:
            return None
        cluster = self.cluster
        machine, nodes = str(cluster.get("machine_type") or ""), cluster.get("nodes")
        if not isinstance(nodes, int) or isinstance(nodes, bool) or nodes < 1:
            return None
        total = total_nodes(str(cluster.get("location") or ""), nodes)
        cost = cost_summary(machine, total)
        if cost is None:
            return None
        hour, month = f"${cost['hourly_usd']:.2f}", f"${cost['monthly_usd']:.0f}"
        if self.failure_shown():  # changed since: the price may have too (a region)
            return Content.from_markup(
                "[$text-accent]Settings changed[/] · ≈ $hour/hour, $month/month",
                hour=hour,
                month=month,
            )
        sizing = self._sizing(machine, total)
        fit = ""
        if sizing.known:
            fit = "[$text-success]✓ fits[/] · " if sizing.fits else "[$text-error]✗ too small[/] · "
        return Content.from_markup(f"{fit}≈ $hour/hour, about $month/month", hour=hour, month=month)

    def _done_shown(self) -> bool:
        """The nav line says "✓ This step is done" (``update_nav``'s last case)."""
        return (
            not self.running
            and not self.validate_fields(show=False)
            and not self.failure_shown()
            and self.phase_done()
            and not self.dirty
        )

    def live_size(self) -> tuple[str, int] | None:
        """(machine type, node count) of the cluster the answers name, as the cluster
        step last read it from GKE; None while there is no such cluster (the step will
        create it) or its size is not known (an autoscaled pool).

        Once the cluster exists the form's size changes nothing (kfwizard does not
        resize), so the card must describe the real cluster: the small-nodepool case
        showed "3 × n1-standard-2 ✓ fits" for a cluster of one e2-small."""
        from kfwizard.engine.steps.cluster import REUSE

        if self.source != "create" or self.next_action() != REUSE:
            return None
        out = self.session.outputs.get("cluster") or {}
        cluster = self.cluster
        same = out.get("name") == cluster.get("name") and out.get("location") == cluster.get(
            "location"
        )
        machine, nodes = out.get("machine_type"), out.get("nodes")
        if not same or not machine or not isinstance(nodes, int) or nodes < 1:
            return None
        return str(machine), nodes

    # -- validation ----------------------------------------------------------------
    def validate_fields(self, show: bool = True) -> list[Field]:
        source = self.source
        checks: list[tuple[str, str | None]] = []
        if source == "create":
            checks = [(key, rule) for key, _, rule in self._create_checks()]
        elif source == "existing":
            checks = [("existing", self._existing_rule())]
        else:
            checks = [("context", self._context_rule())]
        invalid: list[Field] = []
        for key, rule in checks:
            field = self.query_one(f"#field-{key}", Field)
            if show or field.error:
                field.set_error(rule)
            if rule:
                invalid.append(field)
        return invalid

    def _create_checks(self) -> list[tuple[str, Any, str | None]]:
        """(field key, stored value, the rule it breaks or None) for the create form."""
        cluster = self.cluster
        return [
            (key, cluster.get(key), check(validator, cluster.get(key)))
            for key, validator in CREATE_RULES.items()
        ]

    def _existing_rule(self) -> str | None:
        """The chosen cluster must be one GKE listed. Until the list is known a saved
        name stands (the step checks it with GKE); a list that could not be read says
        why, since connecting would fail the same way."""
        cluster = self.cluster
        chosen = cluster.get("name") and any(
            c["name"] == cluster.get("name") and c["location"] == cluster.get("location")
            for c in self._clusters
        )
        if chosen:
            return None
        if self._list_problem:
            return f"could not list clusters: {self._list_problem}"
        if self._clusters_listed and not self._clusters:
            return "this project has no GKE clusters yet: choose New cluster"
        if not self._clusters and cluster.get("name"):
            return None
        return "pick one of the project's clusters (reload the list if it is empty)"

    def _context_rule(self) -> str | None:
        """A context must be chosen; when the kubeconfig has none to choose, why."""
        if self.cluster.get("context"):
            return None
        if self._contexts_problem:
            return self._contexts_problem
        return 'pick a context from your kubeconfig ("kubectl config get-contexts")'

    def field_for(self, setting: str) -> Field | None:
        """The create form's name and location are chosen from the list for Existing
        GKE, and a kubeconfig context stands for the whole cluster."""
        if setting != "cluster.source":
            if self.source == "existing" and setting in ("cluster.name", "cluster.location"):
                return self.query_one("#field-existing", Field)
            if self.source == "kubeconfig" and setting.startswith("cluster."):
                return self.query_one("#field-context", Field)
        return super().field_for(setting)

    def _recheck(self, key: str, rule: str | None) -> None:
        self.query_one(f"#field-{key}", Field).set_error(rule)

    # -- edits ---------------------------------------------------------------------
    @on(RadioSet.Changed, "#source")
    def _source_changed(self, event: RadioSet.Changed) -> None:
        key = (event.pressed.id or "source-create").removeprefix("source-")
        if key == self.cluster.get("source"):
            return
        self.cluster["source"] = key
        self._show_source()
        self.selection_changed()

    @on(Input.Changed, "#name")
    def _name_typed(self, event: Input.Changed) -> None:
        if self._store_choice("name", event.value.strip()):
            self._recheck("name", check("validate_cluster_name", self.cluster["name"]))

    @on(Input.Changed, "#location")
    def _location_typed(self, event: Input.Changed) -> None:
        if self._store_choice("location", event.value.strip()):
            self._recheck("location", check("validate_location", self.cluster["location"]))
            self._update_cost()  # a region has the node count in each of its zones

    @on(Select.Changed, "#machine_type")
    def _machine_chosen(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and self._store_choice("machine_type", str(event.value)):
            self._recheck("machine_type", None)
            self._update_cost()

    @on(Input.Changed, "#nodes")
    def _nodes_typed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        value: Any = int(text) if text.lstrip("-").isdigit() else text
        if self._store_choice("nodes", value):
            self._recheck("nodes", check("validate_node_count", value))
            self._update_cost()

    @on(Input.Changed, "#scopes")
    def _scopes_typed(self, event: Input.Changed) -> None:
        scopes = [s.strip() for s in event.value.replace(" ", ",").split(",") if s.strip()]
        if self._store_choice("scopes", scopes):
            self._recheck("scopes", check("validate_scopes", scopes))

    @on(Input.Changed, "#version")
    def _version_typed(self, event: Input.Changed) -> None:
        if self._store_choice("version", event.value.strip() or "latest"):
            self._recheck("version", check("validate_gke_version", self.cluster["version"]))

    @on(Select.Changed, "#existing")
    def _existing_chosen(self, event: Select.Changed) -> None:
        if event.value is Select.NULL:
            return
        name, _, location = str(event.value).partition("@")
        changed = self._store_choice("name", name)
        changed = self._store_choice("location", location) or changed
        if changed:
            self._recheck("existing", None)

    @on(Select.Changed, "#context")
    def _context_chosen(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and self._store_choice("context", str(event.value)):
            self._recheck("context", None)

    @on(Button.Pressed, "#reload-clusters")
    def _reload_pressed(self) -> None:
        self.load_clusters()

    def _store_choice(self, key: str, value: Any) -> bool:
        """Write one selection; True when it changed (then it is saved, debounced)."""
        if self.cluster.get(key) == value:
            return False
        self.cluster[key] = value
        self.selection_changed()
        return True

    # -- the estimate ----------------------------------------------------------------
    def _update_cost(self) -> None:
        content = self.cost_content()
        if content != self._cost_shown:  # update_nav asks often; a new layout only if new
            self._cost_shown = content
            self.query_one("#cost", Static).update(content)

    def cost_content(self) -> Content:
        """Node pool vs. the mode's needs, and the hourly/monthly estimate, for every
        node the cluster gets: a regional one has the node count in each zone. When the
        step will not create (a create already running, or this session's cluster),
        the first line says so: the price is what that cluster costs, not a new bill.
        For a cluster that exists, the size and price are the cluster's own."""
        live = self.live_size()
        estimate = self._estimate_content() if live is None else self._live_content(*live)
        existing = self._existing_note()
        return Content("\n").join([existing, estimate]) if existing else estimate

    def _mode(self) -> str:
        return str((self.choices.get("deployment") or {}).get("mode") or "kfp-standalone")

    def _sizing(self, machine: str, total: int) -> Any:
        from kfwizard.gcp.sizing import size_node_pool

        return size_node_pool(machine, total, self._mode())

    def _live_content(self, machine: str, total: int) -> Content:
        """The existing cluster's size against the mode's needs, and what it costs; when
        the answers ask for another size, that they do not change it."""
        from kfwizard.gcp.clusters import total_nodes

        lines = self._size_lines(machine, total, prefix="The cluster: ")
        cluster = self.cluster
        want_machine = str(cluster.get("machine_type") or "")
        want = cluster.get("nodes")
        if isinstance(want, int) and not isinstance(want, bool) and want > 0:
            want_total = total_nodes(str(cluster.get("location") or ""), want)
            if (want_machine, want_total) != (machine, total):
                lines.insert(
                    2 if self._sizing(machine, total).known else 0,
                    Content.from_markup(
                        "[$text-warning]The answers say $want; kfwizard does not resize an "
                        "existing cluster (the log has the commands that do).[/]",
                        want=f"{want_total} × {want_machine}",
                    ),
                )
        return Content("\n").join(lines)

    def _existing_note(self) -> Content | None:
        """Why pressing on creates nothing new (None when it creates a cluster)."""
        from kfwizard.engine.steps.cluster import FOLLOW, REUSE

        action = self.next_action()
        name = str(self.cluster.get("name") or "")
        if action == FOLLOW:
            return Content.from_markup(
                "[$text-warning]An earlier run started creating $name, and GKE goes on "
                "with it: Resume create follows that create; no second cluster is made.[/]",
                name=name,
            )
        if action == REUSE:
            return Content.from_markup(
                "[$text-warning]$name was created by this session and is used as it is: "
                "nothing new is created (a size changed here does not resize it).[/]",
                name=name,
            )
        return None

    def _estimate_content(self) -> Content:
        from kfwizard.gcp.clusters import region_spread, total_nodes

        cluster = self.cluster
        machine = str(cluster.get("machine_type") or "")
        nodes = cluster.get("nodes")
        if not isinstance(nodes, int) or isinstance(nodes, bool) or nodes < 1:
            return Content.from_markup("[$text-muted]Enter a node count to see the estimate.[/]")
        location = str(cluster.get("location") or "")
        lines: list[Content] = []
        spread = region_spread(location, nodes)
        if spread:
            lines.append(Content.from_markup("[$text-warning]$spread[/]", spread=spread))
        lines += self._size_lines(machine, total_nodes(location, nodes))
        return Content("\n").join(lines)

    def _size_lines(self, machine: str, total: int, prefix: str = "") -> list[Content]:
        """``total`` nodes of ``machine``: what they leave for pods against what the mode
        needs (two lines), the sizing's warnings, then the hourly and monthly price."""
        from kfwizard.gcp.sizing import cost_summary

        mode = self._mode()
        sizing = self._sizing(machine, total)
        cost = cost_summary(machine, total)
        lines: list[Content] = []
        if sizing.known:
            lines.append(
                Content(
                    f"{prefix}{total} × {machine}: {sizing.vcpus:g} vCPU, "
                    f"{sizing.memory_gib:g} GiB; about {sizing.usable_cpu_m / 1000:.1f} CPU "
                    f"and {sizing.usable_mem_mib / 1024:.1f} GiB left for pods"
                )
            )
            verdict = "[$text-success]✓ fits[/]" if sizing.fits else "[$text-error]✗ too small[/]"
            lines.append(
                Content.from_markup(
                    f"$mode needs at least $cpu CPU, $mem GiB  {verdict}",
                    mode=mode,
                    cpu=f"{sizing.need_cpu_m / 1000:.1f}",
                    mem=f"{sizing.need_mem_mib / 1024:.1f}",
                )
            )
        for warning in sizing.warnings:
            lines.append(Content.from_markup("[$text-warning]! $w[/]", w=warning))
        if cost is not None:
            lines.append(
                Content.from_markup(
                    "[b]≈ $hour/hour[/b], about $month/month if left running",
                    hour=f"${cost['hourly_usd']:.2f}",
                    month=f"${cost['monthly_usd']:.0f}",
                )
            )
            lines.append(
                Content.from_markup(
                    "[$text-muted]$source, as of $as_of; includes the GKE fee of $fee/h. "
                    "Disks and network are extra.[/]",
                    fee="$0.10",
                    source=cost["source"],
                    as_of=cost["as_of"],
                )
            )
        return lines

    # -- workers: clusters and contexts ----------------------------------------------
    @work(
        thread=True,
        exclusive=True,
        group="gcp-lookup",
        exit_on_error=False,
        description="kfwizard: listing GKE clusters",
    )
    def load_clusters(self) -> None:
        project = str(self.choices.get("project") or "")
        env = dict(self.wizard.env)
        try:
            from kfwizard.gcp.clusters import list_clusters
            from kfwizard.gcp.endpoints import cluster_manager

            client = cluster_manager(env)
            found = [
                {
                    "name": c.name,
                    "location": c.location,
                    "status": status_word(getattr(c, "status", None)),
                    "nodes": getattr(c, "current_node_count", 0),
                }
                for c in list_clusters(client, project)
            ]
            self.app.call_from_thread(self._clusters_loaded, found, None)
        except Exception as exc:
            self.app.call_from_thread(self._clusters_loaded, [], _list_failure(exc, project))

    def _clusters_loaded(self, clusters: list[dict[str, Any]], problem: str | None) -> None:
        if not self.is_attached:
            return
        self._clusters = clusters
        self._clusters_listed = problem is None
        self._list_problem = problem
        select = self.query_one("#existing", Select)
        field = self.query_one("#field-existing", Field)
        options = [
            (
                f"{c['name']}  ·  {c['location']}  ·  {c['status']}",
                f"{c['name']}@{c['location']}",
            )
            for c in clusters
        ]
        select.set_options(options)
        if problem or not clusters:
            if not problem:
                select.prompt = "No clusters in this project"
            field.set_hint("")
            field.set_error(self._existing_rule())  # Connect is not the way on from here
        else:
            select.prompt = "Choose a cluster"
            current = f"{self.cluster.get('name')}@{self.cluster.get('location')}"
            if current in {value for _, value in options}:
                select.value = current
            project = self.choices.get("project")
            field.set_hint(f"{plural(len(clusters), 'cluster')} in {project}.")
        self.update_nav()  # the list decides whether the chosen cluster is valid
        self._show_static_commands()  # and whether there is one to describe

    @work(
        thread=True,
        exclusive=True,
        group="kube-lookup",
        exit_on_error=False,
        description="kfwizard: reading kubeconfig contexts",
    )
    def load_contexts(self) -> None:
        from kfwizard.gcp.kubeconfig import contexts, kubeconfig_path
        from kfwizard.widgets.paths_text import display_path

        path = kubeconfig_path(self.wizard.env)
        shown = display_path(str(path))
        problem = None
        try:
            names, current = contexts(path)
        except Exception as exc:
            names, current = [], None
            problem = f"could not read {shown}: {type(exc).__name__}: {exc}"
        if not names and problem is None:
            missing = "there is no kubeconfig at" if not path.exists() else "no contexts in"
            problem = (
                f"{missing} {shown}: connect kubectl to a cluster first (for GKE, "
                '"gcloud container clusters get-credentials NAME"), or choose New cluster'
            )
        self.app.call_from_thread(self._contexts_loaded, names, current, shown, problem)

    def _contexts_loaded(
        self, names: list[str], current: str | None, path: str, problem: str | None
    ) -> None:
        """List the contexts, the current one marked but not chosen: installing into
        whatever kubectl points at now (perhaps another team's cluster) must be a
        choice, not a default."""
        if not self.is_attached:
            return
        self._contexts_problem = problem
        select = self.query_one("#context", Select)
        field = self.query_one("#field-context", Field)
        select.set_options(
            [(f"{name} (current)" if name == current else name, name) for name in names]
        )
        if problem:
            select.prompt = "No contexts found"
            field.set_hint("")
            field.set_error(self._context_rule())
        else:
            select.prompt = "Choose a context"
            if self.cluster.get("context") in names:
                select.value = self.cluster["context"]
            field.set_hint(f"From {path}.")
        self.update_nav()  # whether a context can be chosen at all

    # -- commands ----------------------------------------------------------------------
    def static_commands(self) -> list[str]:
        """The cluster and connect steps' own commands, from the choices now: the box
        changes as the fields do, without waiting for the plan's worker."""
        from kfwizard.engine.steps.cluster import ClusterStep, ConnectStep

        if self.source == "existing" and self._clusters_listed and self._existing_rule():
            # Nothing to describe yet (the name is the create form's): how to find one.
            project = self.choices.get("project") or "PROJECT_ID"
            return [f"gcloud container clusters list --project={project}"]
        return [*ClusterStep().commands(self.session), *ConnectStep().commands(self.session)]

    def selection_changed(self) -> None:
        super().selection_changed()
        if self.is_attached:
            self._show_static_commands()

    def _show_static_commands(self) -> None:
        self.query_one("#commands", CommandsBox).set_commands(self.static_commands())


def _list_failure(exc: Exception, project: str) -> str:
    """Why the cluster list failed, in the words the cluster step would use (a Google
    error's raw text runs to a screenful of JSON)."""
    from kfwizard.engine.errors import KfwizardError
    from kfwizard.gcp.retries import is_google_error

    if is_google_error(exc):
        from kfwizard.gcp import explain

        exc = explain.explain_api_error(exc, "cluster.list", explain.Facts(project=project))
    if isinstance(exc, KfwizardError):
        return exc.message()
    return f"{type(exc).__name__}: {exc}"
