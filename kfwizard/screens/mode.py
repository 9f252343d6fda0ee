"""Step 3, Deployment mode: what to install, which version, and the plan before it.

People were surprised by how many parts a KFP install has and by versions that no
longer run on current GKE. This screen names every third-party part of the chosen mode
in one sentence each, refuses impossible combinations with the reason (the choice is
marked and Next refuses), and, after the ``manifests`` step has rendered the release,
shows the plan: objects by kind, what goes where, and how long it usually takes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, RadioButton, RadioSet, Select, Static

from kfwizard.demo import DEMO_OFFER, demo_envs
from kfwizard.engine.events import StepDetail
from kfwizard.screens.form import FormScreen
from kfwizard.widgets.field import Field
from kfwizard.widgets.plan_box import PlanBox

if TYPE_CHECKING:
    from kfwizard.manifests.findings import Refusal

HERE = Path(__file__).parent
"""Stylesheets are found from here, also for subclasses defined elsewhere."""

SHORT_TITLES = {
    "kfp-standalone": "Kubeflow Pipelines (standalone)",
    "kfp-gcp": "KFP with Cloud SQL + Cloud Storage",
    "kubeflow": "Full Kubeflow platform",
}
"""Mode names that fit beside the label at 80 columns (F1 has the full titles)."""


DEMO_NOTE = (
    "The demo's built-in manifests are KFP 2.17.0 standalone; other versions and modes "
    'need a real install ("kfwizard" without --demo).'
)


def uses_demo_manifests(deployment: dict[str, Any]) -> bool:
    """The session installs the demo's built-in manifests (``kfwizard --demo``)."""
    from kfwizard.manifests.demo import is_demo_manifests

    return is_demo_manifests(deployment.get("manifests"))


def version_choices(mode: str, demo: bool = False) -> list[str]:
    """Versions offered for a mode, newest first (with ``demo``, those the demo has)."""
    from kfwizard.manifests import catalog

    offered = list(catalog.versions_for(mode))
    if demo:
        return [v for v in offered if v in DEMO_OFFER.get(mode, ())] or offered
    return offered


def env_choices(mode: str, version: str, demo: bool = False) -> list[str]:
    """Envs offered for a mode and version (with ``demo``, those the demo has)."""
    from kfwizard.manifests import catalog

    offered = list(catalog.envs_for(mode, version))
    if demo:
        return [e for e in offered if e in demo_envs()] or offered
    return offered


ENV_RULES = frozenset({"unknown-env", "dev-master-images", "gcp-no-object-store", "istio-cni-gke"})
"""Refusals the Environment choice causes: their message goes under that field."""


def first_refusal(
    selections: dict[str, Any], server_version: str | None, autopilot: bool | None = None
) -> Refusal | None:
    """The first reason this mode/version/env cannot be installed here (a catalog
    ``Refusal``), or None."""
    from kfwizard.manifests import catalog

    deployment = selections.get("deployment") or {}
    source = (selections.get("cluster") or {}).get("source")
    found = catalog.refusals(
        str(deployment.get("mode") or "kfp-standalone"),
        deployment.get("version"),
        deployment.get("env"),
        server_version,
        autopilot,
        on_gke=None if source == "kubeconfig" else True,
        local_manifests=bool(deployment.get("manifests")),
    )
    return found[0] if found else None


def refusal(
    selections: dict[str, Any], server_version: str | None, autopilot: bool | None = None
) -> str | None:
    """Why this mode/version/env cannot be installed here (from the catalog), or None."""
    found = first_refusal(selections, server_version, autopilot)
    return short_refusal(found.reason, found.suggestion) if found else None


def short_refusal(reason: str, suggestion: str) -> str:
    """The refusal's first clause and what to pick instead: the field's message must fit
    a 24-row terminal; F1 shows the whole story (``catalog.explain``)."""
    head = re.split(r"(?<!\d)\.\s|;\s|:\s", reason, maxsplit=1)[0].rstrip(".")
    head = re.sub(r"\s*\([^)]*\)", "", head)  # issue numbers and asides: F1 has them
    instead = re.sub(r"\s*\([^)]*\)", "", re.split(r":\s", suggestion, maxsplit=1)[0])
    instead = instead.rstrip(".")
    return f"{head}. {instead}. F1 says why."


GCP_FIELDS: dict[str, tuple[str, str]] = {
    "deployment.gcp.bucket": ("field-bucket", "bucket"),
    "deployment.gcp.cloudsql_instance": ("field-cloudsql", "cloudsql_instance"),
    "deployment.gcp.db_user": ("field-db_user", "db_user"),
}
"""The Cloud SQL + Cloud Storage inputs: their rule's name, their field, their key."""


class ModeScreen(FormScreen):
    PHASE = "mode"
    CSS_PATH = HERE / "mode.tcss"
    ACTION_LABEL = "Prepare manifests"
    INTRO = (
        "Choose what to install. kfwizard fetches and renders the release's manifests, then "
        "shows exactly what will be created before anything is applied."
    )
    HELP = (
        "**What happens here.** The `manifests` step fetches the chosen release (or reads "
        "your local manifests), renders it with kustomize, and orders it for a safe apply: "
        "CustomResourceDefinitions first, then the rest. Nothing is applied to the cluster "
        "yet; the plan below lists the objects by kind.\n\n"
        "**Modes.** *Standalone* installs only Kubeflow Pipelines, with its database and "
        "artifact store inside the cluster. *Cloud SQL + Cloud Storage* keeps your data "
        "outside the cluster. *Full Kubeflow* brings the whole platform and needs a larger "
        "cluster.\n\n"
        "**Refusals.** Some combinations cannot work (for example KFP 1.6.0 on a current "
        "GKE): they are marked with the reason and Next will not continue with them."
    )

    def __init__(self) -> None:
        super().__init__()
        self._plan_detail: Any = None
        """The last ``plan`` detail from the manifests step (richer than its outputs)."""
        self._detail_key: str | None = None
        """The manifests step's selection key for the choices that plan was made for."""

    def compose_main(self) -> Any:
        from kfwizard.manifests.modes import MODE_TITLES, MODES

        yield Field(
            "Mode",
            RadioSet(
                *(RadioButton(SHORT_TITLES.get(m, MODE_TITLES[m]), id=f"mode-{m}") for m in MODES),
                id="mode",
                compact=True,
            ),
            id="field-mode",
        )
        yield Static(id="mode-explain")
        # Never blank: there is always a version and an env to install; the lists are
        # refilled for the mode in _refresh_choices.
        version = str(self.deployment.get("version") or "")
        env = str(self.deployment.get("env") or "")
        yield Field(
            "Version",
            Select(
                [(version, version)], value=version, id="version", compact=True, allow_blank=False
            ),
            id="field-version",
        )
        yield Field(
            "Environment",
            Select([(env, env)], value=env, id="env", compact=True, allow_blank=False),
            id="field-env",
        )
        with Vertical(id="gcp-fields"):
            yield Field(
                "Bucket",
                Input(placeholder="my-kfp-artifacts", id="bucket", compact=True),
                id="field-bucket",
            )
            yield Field(
                "Cloud SQL",
                Input(placeholder="PROJECT:REGION:INSTANCE", id="cloudsql", compact=True),
                id="field-cloudsql",
            )
            yield Field(
                "DB user",
                Input(placeholder="root", id="db_user", compact=True),
                hint="The password is asked for at install time and never saved.",
                id="field-db_user",
            )
        plan = PlanBox(id="plan")
        plan.border_title = "Plan"
        yield plan

    @property
    def deployment(self) -> dict[str, Any]:
        return self.choices.setdefault("deployment", {})

    @property
    def mode(self) -> str:
        return str(self.deployment.get("mode") or "kfp-standalone")

    def server_version(self) -> str | None:
        connect = self.session.outputs.get("connect") or {}
        cluster = self.session.outputs.get("cluster") or {}
        return connect.get("server_version") or cluster.get("version")

    def autopilot(self) -> bool | None:
        value = (self.session.outputs.get("cluster") or {}).get("autopilot")
        return value if isinstance(value, bool) else None

    def static_commands(self) -> list[str]:
        deployment = self.deployment
        version = deployment.get("version") or "VERSION"
        env = deployment.get("env") or "platform-agnostic"
        base = "github.com/kubeflow/pipelines/manifests/kustomize"
        return [
            f'kubectl kustomize "{base}/cluster-scoped-resources?ref={version}" > 00-cluster.yaml',
            f'kubectl kustomize "{base}/env/{env}?ref={version}" > 01-env.yaml',
        ]

    # -- loading -------------------------------------------------------------------
    def load_fields(self) -> None:
        self.query_one(f"#mode-{self.mode}", RadioButton).value = True
        gcp = self.deployment.get("gcp") or {}
        self.query_one("#bucket", Input).value = str(gcp.get("bucket") or "")
        self.query_one("#cloudsql", Input).value = str(gcp.get("cloudsql_instance") or "")
        self.query_one("#db_user", Input).value = str(gcp.get("db_user") or "")
        self._refresh_choices()
        self._check_selects(show=True)  # chosen earlier: a refusal is named at once
        self._show_typed_problems()
        self._show_plan()

    def _refresh_choices(self) -> None:
        """Fill version and env lists for the mode; keep valid choices, else defaults."""
        from kfwizard.manifests import catalog, modes

        mode = self.mode
        demo = uses_demo_manifests(self.deployment)
        offered = version_choices(mode, demo=demo)
        version = catalog.normalise_version(mode, self.deployment.get("version"))
        if version not in offered:
            version = catalog.default_version(mode)
        self.deployment["version"] = version
        server, autopilot = self.server_version(), self.autopilot()
        labels = []
        for v in offered:
            trial = {**self.choices, "deployment": {**self.deployment, "version": v}}
            why = refusal(trial, server, autopilot) if server else None
            labels.append((f"{v}  (cannot run here)" if why else v, v))
        version_select = self.query_one("#version", Select)
        with self.prevent(Select.Changed):
            version_select.set_options(labels)
            version_select.value = version
        envs = env_choices(mode, version, demo=demo)
        env = str(self.deployment.get("env") or "")
        if env not in envs:
            env = catalog.default_env(mode, version)
            env = env if env in envs else envs[0]
            self.deployment["env"] = env
        env_select = self.query_one("#env", Select)
        with self.prevent(Select.Changed):
            env_select.set_options([(e, e) for e in envs])
            env_select.value = env
        self.query_one("#field-env", Field).set_hint(modes.ENV_DESCRIPTIONS.get(env, ""))
        self.query_one("#gcp-fields").display = mode == "kfp-gcp"
        if demo:
            self.query_one("#field-version", Field).set_hint(DEMO_NOTE)
            for key in self._mode_keys():
                self.query_one(f"#mode-{key}", RadioButton).disabled = key not in DEMO_OFFER
        self._explain()

    def _mode_keys(self) -> list[str]:
        from kfwizard.manifests.modes import MODES

        return list(MODES)

    def _explain(self) -> None:
        """Summary, the third-party parts by name, and advisories (full text in F1)."""
        from kfwizard.manifests import catalog, modes

        mode, version = self.mode, self.deployment.get("version")
        release = catalog.kfp_release(version) if mode != "kubeflow" else None
        minio = bool(release.minio) if release is not None else False
        parts = modes.third_party_parts(mode, minio=minio, env=self.deployment.get("env"))
        lines = [
            Content(modes.MODE_SUMMARIES.get(mode, "")),
            Content.from_markup(
                "[b]Also installs:[/b] $parts (F1 explains each)",
                parts=", ".join(p.name for p in parts),
            ),
        ]
        notes = catalog.advisories(
            mode, version, self.deployment.get("env"), self.server_version(), self.autopilot()
        )
        for note in notes:
            lines.append(Content.from_markup("[$text-warning]! $n[/]", n=note.message()))
        self.query_one("#mode-explain", Static).update(Content("\n").join(lines))

    def help_text(self) -> tuple[str, str, list[tuple[str, str]]]:
        from kfwizard.manifests import catalog

        title, text, keys = super().help_text()
        detail = catalog.explain(
            self.mode, self.deployment.get("version"), self.deployment.get("env")
        )
        return title, f"{text}\n\n---\n\n{detail}", keys

    # -- validation ----------------------------------------------------------------
    def validate_fields(self, show: bool = True) -> list[Field]:
        invalid = self._check_selects(show)
        for field, rule, _ in self._gcp_rules():
            if show or field.error:
                field.set_error(rule)
            if rule:
                invalid.append(field)
        return invalid

    def _gcp_rules(self) -> list[tuple[Field, str | None, str]]:
        """Each Cloud SQL + Cloud Storage field with the rule it breaks (None: none)
        and its value; no fields for the other modes."""
        if self.mode != "kfp-gcp":
            return []
        from kfwizard.manifests import catalog

        gcp = self.deployment.get("gcp") or {}
        problems = {name: rule for name, rule, _ in catalog.gcp_input_problems(gcp)}
        return [
            (self.query_one(f"#{field_id}", Field), problems.get(name), str(gcp.get(key) or ""))
            for name, (field_id, key) in GCP_FIELDS.items()
        ]

    def _show_typed_problems(self) -> None:
        """Coming back to values typed earlier, their rules show at once (the nav line
        already counts them); an empty field stays quiet until ctrl+n names it."""
        for field, rule, value in self._gcp_rules():
            if rule and value.strip():
                field.set_error(rule)

    def _check_selects(self, show: bool) -> list[Field]:
        """The refusal of the mode/version/env combination, under the field that
        causes it (the env for an env's rule, else the version); the invalid one."""
        found = first_refusal(self.choices, self.server_version(), self.autopilot())
        blamed, why = None, None
        if found is not None:
            blamed = "field-env" if found.rule in ENV_RULES else "field-version"
            why = short_refusal(found.reason, found.suggestion)
        invalid: list[Field] = []
        for field_id in ("field-version", "field-env"):
            field = self.query_one(f"#{field_id}", Field)
            rule = why if field_id == blamed else None
            if show or field.error:
                field.set_error(rule)
            if rule:
                invalid.append(field)
        return invalid

    def _selection_made(self) -> None:
        """A select changed: its rule shows at once (the nav line counts it at once,
        and a message only after ctrl+n left the user guessing which field)."""
        self._check_selects(show=True)
        self.selection_changed()

    # -- edits ---------------------------------------------------------------------
    @on(RadioSet.Changed, "#mode")
    def _mode_chosen(self, event: RadioSet.Changed) -> None:
        mode = (event.pressed.id or "mode-kfp-standalone").removeprefix("mode-")
        if mode == self.deployment.get("mode"):
            return
        self.deployment["mode"] = mode
        self._refresh_choices()
        self._selection_made()
        self._show_plan()

    @on(Select.Changed, "#version")
    def _version_chosen(self, event: Select.Changed) -> None:
        if event.value is Select.NULL or event.value == self.deployment.get("version"):
            return
        self.deployment["version"] = str(event.value)
        self._refresh_choices()
        self._selection_made()
        self._show_plan()

    @on(Select.Changed, "#env")
    def _env_chosen(self, event: Select.Changed) -> None:
        if event.value is Select.NULL or event.value == self.deployment.get("env"):
            return
        self.deployment["env"] = str(event.value)
        self._refresh_choices()
        self._selection_made()
        self._show_plan()

    @on(Input.Changed, "#bucket, #cloudsql, #db_user")
    def _gcp_typed(self, event: Input.Changed) -> None:
        key = {"bucket": "bucket", "cloudsql": "cloudsql_instance", "db_user": "db_user"}[
            event.input.id or "bucket"
        ]
        gcp = self.deployment.setdefault("gcp", {})
        value = event.value.strip() or None
        if gcp.get(key) == value:
            return
        gcp[key] = value
        self.selection_changed()
        self._show_plan()

    # -- the plan ------------------------------------------------------------------
    def on_step_detail(self, event: StepDetail) -> None:
        if event.key == "plan":
            self._plan_detail = event.value
            self._detail_key = self._selection_key()  # the run renders what is chosen now
            self._show_plan()

    def run_succeeded(self) -> None:
        self._show_plan()
        super().run_succeeded()
        # The plan is what this step produces: give it the room the log had (on narrow
        # terminals; wide ones keep the log beside it) and bring it into view.
        self.set_class(False, "-has-log")
        plan = self.query_one("#plan", PlanBox)
        self.call_after_refresh(plan.scroll_visible, animate=False)

    def _show_plan(self) -> None:
        stale = self._plan_out_of_date()
        box = self.query_one("#plan", PlanBox)
        box.border_title = "Plan · out of date" if stale else "Plan"
        box.show_plan(self._plan_detail, self.session.outputs, stale=stale)

    def _selection_key(self) -> str:
        """What the manifests step's result depends on, for the choices on screen now
        (``ManifestsStep.check`` compares the same key to decide to render again)."""
        from kfwizard.engine.selection import selection_key_now

        return selection_key_now(self.choices, self.session.outputs)

    def _plan_out_of_date(self) -> str:
        """Why the plan shown is not the plan for the choices on screen ("" when it is):
        changing the env left the last env's plan up, as if it were the new one's."""
        saved = self.session.outputs.get("manifests") or {}
        made = self._plan_detail if isinstance(self._plan_detail, dict) else saved
        key = self._detail_key if self._plan_detail is not None else saved.get("selection_key")
        if not (made.get("counts_by_kind") or made.get("counts")):
            return ""  # no plan shown
        was = [made.get(k) for k in ("mode", "version", "env")]
        now = [self.mode, self.deployment.get("version"), self.deployment.get("env")]
        if (key is None or key == self._selection_key()) and was == now:
            return ""
        changed = [
            (name, old, new)
            for name, old, new in zip(("mode", "KFP", "env"), was, now, strict=True)
            if old != new
        ]
        if not changed:  # the project or the Cloud SQL + Cloud Storage inputs
            return "Made for the earlier choices: Prepare manifests (ctrl+n) makes the new plan."
        made_for = ", ".join(f"{name} {old}" for name, old, _ in changed)
        wanted = ", ".join(f"{name} {new}" for name, _, new in changed)
        return f"Made for {made_for}: Prepare manifests (ctrl+n) makes the plan for {wanted}."
