"""What every wizard step screen shares: chrome, navigation, runs, logs, commands.

A step screen shows, top to bottom: the step indicator, the demo banner (demo only),
a title with "what happens here and why", the step's own fields, the equivalent shell
commands, and the live log once something runs; then Back / the primary action, and
the key line (``KeyBar``). Subclasses supply the fields (``compose_main``), validation
(``validate_fields``) and what to do with structured engine details
(``on_step_detail``).

The primary action is one button whose meaning follows the state: it runs the
phase's engine steps (``Check project``, ``Create cluster``, ...) and, once they are
done, becomes ``Next: <step> →``. A run is the bridge's thread worker; the screen only
reacts to messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import Reactive
from textual.widget import Widget
from textual.widgets import Button, Label, Static
from textual.worker import get_current_worker

from kfwizard.bridge import EngineBridge
from kfwizard.engine.events import (
    PlanFinished,
    PlanStarted,
    StepDetail,
    StepFinished,
    StepOutput,
    StepProgress,
    StepStarted,
)
from kfwizard.engine.phases import PHASE_TITLES, PHASES, phase_of_step, wizard_phase
from kfwizard.messages import EngineEvent, RunFinished
from kfwizard.screens.styled_once import StyledOnceScreen
from kfwizard.widgets.commands_box import CommandsBox
from kfwizard.widgets.failure_panel import FailurePanel
from kfwizard.widgets.field import Field
from kfwizard.widgets.key_bar import KeyBar
from kfwizard.widgets.log_pane import LogPane
from kfwizard.widgets.notice import Notice
from kfwizard.widgets.step_indicator import SHORT_TITLES, StepIndicator, session_phase_states
from kfwizard.widgets.step_list import StepList
from kfwizard.wording import plural

if TYPE_CHECKING:
    from kfwizard.app import WizardApp
    from kfwizard.session import Session

COMMON_KEYS: list[tuple[str, str]] = [
    ("ctrl+n", "run this step, or go to the next one when it is done"),
    ("escape", "back to the previous step (nothing you typed is lost)"),
    ("ctrl+y", "copy the equivalent commands to the clipboard"),
    ("ctrl+x", "cancel a running step (the session stays resumable)"),
    ("ctrl+s", "save the log pane to a file"),
    ("f / w / s", "in the log: follow or hold, wrap long lines or show them whole, save"),
    ("tab / shift+tab", "move between fields and buttons"),
    ("f1", "this help"),
    ("ctrl+p", "command palette: sessions, teardown, theme, ..."),
    ("ctrl+q", "quit (asks first while something runs)"),
]


SETTING_PHASES = ("project", "cluster", "mode")
"""The steps whose screens hold settings (the form screens)."""


def shown(widget: Widget) -> bool:
    """Displayed, and so are all its containers (a field of a hidden group is not)."""
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


LOG_STYLED = ("#side", "#step-list")
"""The widgets whose rules read the screen's ``-has-log`` and ``-log-empty`` classes
(``app.tcss``); ``WizardScreen.show_log`` restyles only these (and what they hold).
A rule for any other widget that reads those classes must add it here
(``tests/ui/test_show_log.py`` checks)."""


SETTING_FIELDS: dict[str, tuple[str, str]] = {
    "project": ("project", "project"),
    "services": ("project", "services"),
    "cluster.source": ("cluster", "source"),
    "cluster.name": ("cluster", "name"),
    "cluster.location": ("cluster", "location"),
    "cluster.machine_type": ("cluster", "machine_type"),
    "cluster.nodes": ("cluster", "nodes"),
    "cluster.scopes": ("cluster", "scopes"),
    "cluster.version": ("cluster", "version"),
    "cluster.context": ("cluster", "context"),
    "deployment.mode": ("mode", "mode"),
    "deployment.version": ("mode", "version"),
    "deployment.env": ("mode", "env"),
    "deployment.gcp.bucket": ("mode", "bucket"),
    "deployment.gcp.cloudsql_instance": ("mode", "cloudsql"),
    "deployment.gcp.db_user": ("mode", "db_user"),
}
"""A setting as the answers file and the engine's messages name it: the step screen
it is chosen on, and its field there (``#field-KEY``)."""

ADVICE_SETTINGS: tuple[tuple[str, str], ...] = (
    (r"\bservices: enable\b", "services"),
    (r"\bproject id\b", "project"),
    (
        r"\bExisting GKE\b|\ban existing cluster\b|\ba new cluster\b|\bNew cluster\b",
        "cluster.source",
    ),
    (r"\banother cluster name\b|\bpick another cluster\b|\bcheck the name\b", "cluster.name"),
    (r"\banother zone\b|\banother region\b|\bpick a zone\b", "cluster.location"),
    (r"\bmachine type\b", "cluster.machine_type"),
    (r"\bfewer (?:or smaller )?nodes\b", "cluster.nodes"),
)
"""The words with which failures advise changing a setting ("try another zone",
"choose Existing GKE"), and that setting."""

NAMED_SETTING = re.compile(r"\b(?:cluster|deployment)\.[a-z_]+(?:\.[a-z_]+)?\b")
"""A setting named the answers file's way in a message ("cluster.source: existing")."""


def setting_to_change(cause: str, action: str, *, words: bool = True) -> str | None:
    """The first setting a failure asks to change (a key of ``SETTING_FIELDS``), or
    None when its advice changes no selection ("run gcloud auth login, then resume").

    Bad input names its setting first ("cluster.location: ..."); otherwise the advice
    names one, the answers file's way or in words, and the first one it names is the
    one to change first. ``words=False`` for the steps after the settings: an Install
    failure's "a larger machine type" means a node pool for the cluster that exists,
    not the Cluster form's field (kfwizard does not resize a cluster).
    """
    field, colon, _ = cause.partition(": ")
    if colon and field in SETTING_FIELDS:
        return field
    for text in (action, cause):
        found: list[tuple[int, str]] = [
            (m.start(), m.group())
            for m in NAMED_SETTING.finditer(text)
            if m.group() in SETTING_FIELDS
        ]
        for said, setting in ADVICE_SETTINGS if words else ():
            match = re.search(said, text)
            if match:
                found.append((match.start(), setting))
        if found:
            return min(found)[1]
    return None


def worth_showing(details: Iterable[str], said: str = "") -> tuple[str, ...]:
    """A failure's detail lines that need attention and say something new.

    The panel has room for four lines. Checks that passed (``[pass] ...``) are left
    out, and so is a line that only repeats ``said`` (the cause and its action): one
    failing preflight check is the whole cause, and its ``[fail] capacity: … Fix: …``
    line said it all a second time under it.
    """
    shown = []
    for line in details:
        text = line.strip()
        if text.startswith(("[pass]", "[ok]")):
            continue
        marked, _, rest = text.partition("] ")
        body = rest.partition(": ")[2] if marked.startswith("[") and ": " in rest else text
        if said and all(part.strip() in said for part in body.split(" Fix: ")):
            continue
        shown.append(line)
    return tuple(shown)


class WizardScreen(StyledOnceScreen):
    """Base class of the five step screens."""

    PHASE: ClassVar[str] = "project"
    """The phase this screen shows (see ``engine.phases``)."""
    INTRO: ClassVar[str] = ""
    """One or two sentences: what happens here and why."""
    HELP: ClassVar[str] = ""
    """Longer help (Markdown) for F1."""
    ACTION_LABEL: ClassVar[str] = "Run"
    """The primary button's label while the phase still has work to do."""
    COMMANDS_AT_MOUNT: ClassVar[bool] = False
    """List the equivalent commands while the screen is built, not in a worker after
    its first paint. Only where that is cheap (a few milliseconds): the box then has
    its final size in the first layout, instead of growing and laying the screen out
    twice more. Screens whose steps read manifests or import clients keep the worker."""
    SHOW_STEP_LIST: ClassVar[bool] = True
    """Show the engine steps of this phase with their state and elapsed time (from the
    first run on; the form screens hide it until then)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Next", tooltip="Run this step, or continue when done"),
        Binding("escape", "back", "Back", tooltip="Previous step"),
        Binding("ctrl+y", "copy_commands", "Copy cmds", tooltip="Copy the equivalent commands"),
        Binding("ctrl+x", "cancel_run", "Cancel run", tooltip="Stop the running step"),
        Binding("ctrl+s", "save_log", "Save log", show=False),
        Binding("ctrl+l", "focus_log", "Log", show=False),
    ]

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    """``Screen.focused`` without its repaint of the whole screen on every focus move.
    The widgets that gain and lose focus restyle and repaint themselves (as do
    containers styled by ``:focus-within``); the full repaint came on top, at each run's
    start (focus to the log) and end (focus to Next), and cost about 10 ms."""

    def __init__(self) -> None:
        # Narrow beside the form until something is logged. Given here, not on mount: a
        # class added to a mounted screen restyles every widget on it once more.
        super().__init__(classes="-log-empty")
        self.bridge: EngineBridge | None = None
        self.last_result: Any = None
        """The last run's ``RunResult`` (None before any run on this screen)."""
        self.dirty = False
        """A selection changed since this phase last completed."""
        self._titles: dict[str, str] = {}
        self._listed_ids: set[str] = set()
        self._failure_details: dict[str, tuple[str, ...]] = {}
        """Step id -> the detail lines its failure carried (shown in the panel)."""
        self.ready = False
        """True once the fields are filled from the session (tests wait for it)."""
        self._run_open = False
        """A run started here and its ``RunFinished`` has not arrived yet."""
        self._stopping = False
        """Cancel was asked for during the open run."""
        self._restored: Any = None
        """The failure restored from the session, until a run replaces it."""
        self._done_before_run: set[str] = set()
        """The phases that were done when the open run started: one of them running
        again (Verify again over a deleted cluster re-creates it) is said so."""
        self._operation_before_run: Any = None
        """The cluster's create operation when the open run started (a new one means
        the run is creating the cluster)."""
        self._records_seen: tuple[tuple[str, str], ...] = ()
        """The step records' states as the step bar last showed them."""
        self.way_back: tuple[str | None, str | None] = (self.previous_phase(), None)
        """Where the failure panel's second button goes: (phase, setting to focus
        there). The previous step unless the failure names a setting to change."""
        self._failure_seen = True
        """The failure's cause was in view when the nav line last said so."""
        self.focus_on_open: str | None = None
        """A setting whose field takes the focus when the screen opens (the failure
        panel of a later screen sent the user here to change it)."""

    # -- plumbing ------------------------------------------------------------------
    @property
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

    @property
    def session(self) -> Session:
        session = self.wizard.session
        assert session is not None, "a step screen needs an open session"
        return session

    @property
    def choices(self) -> dict[str, Any]:
        return self.session.selections

    @property
    def running(self) -> bool:
        """A run is in progress, from its start until its ``RunFinished`` is handled.

        The run's own flag, not the worker's state: the worker thread posts
        ``RunFinished`` and only then leaves RUNNING, so the message can be handled
        while the worker still counts as running, and Next would stay disabled.
        """
        return self._run_open

    # -- layout --------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        self.bridge = EngineBridge(self.session, self.wizard.store, id="bridge")
        self.bridge.plan_factory = self.wizard.plan_for
        yield self.bridge
        with Horizontal(id="header"):
            yield Label("kfwizard", id="app-title")
            yield StepIndicator(self.PHASE, id="steps")
        if self.wizard.demo:
            yield Static(self.wizard.demo_banner(), id="demo-banner")
        with Horizontal(id="columns"):
            with VerticalScroll(id="main"):
                yield Static(self._title_content(), id="screen-title")
                if self.INTRO:
                    yield Static(self.INTRO, id="intro")
                notice = self.wizard.first_run_notice()
                if notice is not None:
                    yield notice
                # The failure panel is mounted here when first needed (failure_panel()).
                if self.SHOW_STEP_LIST:
                    yield StepList(ticking=not self.wizard.deterministic, id="step-list")
                yield from self.compose_main()
                yield CommandsBox(self.static_commands(), id="commands")
            with Vertical(id="side"):
                yield from self.compose_side()
        with Horizontal(id="nav"):
            yield Button("← Back", id="back", compact=True)
            yield Static("", id="nav-status")
            yield Button(self.ACTION_LABEL, id="next", variant="primary", compact=True)
        yield KeyBar()

    def compose_main(self) -> Iterable[Any]:
        """The step's own fields and panels (above the commands box)."""
        return ()

    def compose_side(self) -> Iterable[Any]:
        """The live log (beside the form on wide terminals, under it otherwise)."""
        yield LogPane(
            title=f"{PHASE_TITLES[self.PHASE]} log",
            session_id=self.session.id,
            placeholder=self.log_placeholder(),
            wrap=bool(self.wizard.prefs.get("log_wrap", True)),
            id="log",
        )

    def log_placeholder(self) -> str:
        """What the empty log pane says: nothing ran yet, or where earlier output is."""
        if self.phase_done():
            return "Done earlier; see the session log."
        return "Nothing has run on this step yet."

    def _title_content(self) -> Content:
        number = PHASES.index(self.PHASE) + 1
        return Content.from_markup(
            "[b]Step $n of 5 · $title[/b]  [$text-muted]session $name[/]",
            n=str(number),
            title=PHASE_TITLES[self.PHASE],
            name=self.session.display_name(),
        )

    def on_mount(self) -> None:
        # Textual mounts every descendant (the Fields' own controls too) before the
        # screen's Mount, so the fields can be filled now: the values are laid out and
        # painted with the screen's first layout, not in a second one after it.
        self.refresh_indicator()
        self._fill()
        self.screen_layout_refresh_signal.subscribe(self, self._laid_out)

    def _fill(self) -> None:
        if self.SHOW_STEP_LIST:
            self._prefill_step_list()
        self.load_fields()
        self.validate_fields(show=False)
        self.restore_failure()
        self.update_nav()
        if self.COMMANDS_AT_MOUNT:
            self._set_commands(*self._list_commands(self.session))
        else:
            self.refresh_commands()
        if self.focus_on_open is not None:
            # After the first layout: the form's own first-field focus comes first, and
            # the field must have a place to be scrolled to.
            self.call_after_refresh(self.focus_setting, self.focus_on_open)
        self.ready = True

    # -- fields and selections (subclasses) ----------------------------------------
    def load_fields(self) -> None:
        """Fill the fields from the session's selections."""

    def validate_fields(self, show: bool = True) -> list[Field]:
        """Check every field; return the invalid ones (``show`` paints the messages)."""
        return []

    def selection_changed(self) -> None:
        """Call after writing a field into the selections: saves (debounced) and updates."""
        self.dirty = True
        self.wizard.schedule_save()
        self.update_nav()
        self.refresh_commands()

    def label_changed(self) -> None:
        """Call after renaming the session: saved (debounced) and shown in the title.
        A name is a label for the session list, not a selection any step reads, so a
        done step stays done: renaming turned "Next: Cluster →" into "Check project"."""
        self.wizard.schedule_save()
        self.query_one("#screen-title", Static).update(self._title_content())

    # -- navigation ----------------------------------------------------------------
    def phase_done(self) -> bool:
        """All engine steps of this phase are done or skipped, and no teardown has
        undone them since.

        A teardown leaves the step records as they were (the next wizard run sends
        them back to pending), so the records alone said "✓ This step is done" on
        the Cluster and Install screens over a deleted cluster or install, and ctrl+n
        went straight on, while the step bar said ⊘ or ◐. Both read
        :func:`session_phase_states` now, so they cannot disagree, and the screen
        offers its action (Create cluster, Install) again.
        """
        return session_phase_states(self.session).get(self.PHASE) == "done"

    def next_phase(self) -> str | None:
        index = PHASES.index(self.PHASE)
        return PHASES[index + 1] if index + 1 < len(PHASES) else None

    def previous_phase(self) -> str | None:
        index = PHASES.index(self.PHASE)
        return PHASES[index - 1] if index > 0 else None

    def primary_label(self) -> str:
        if self.running:
            return "Running…"
        following = self.next_phase()
        if self.phase_done() and not self.dirty and following is not None:
            return f"Next: {PHASE_TITLES[following]} →"
        return self.ACTION_LABEL

    def update_nav(self) -> None:
        """Refresh the primary button and the status line from the current state."""
        if not self.is_attached:
            return
        button = self.query_one("#next", Button)
        label = self.primary_label()
        if str(button.label) != label:
            button.label = label
            button.refresh(layout=True)  # an auto-width button keeps its old width otherwise
        button.disabled = self.running
        self.query_one("#back", Button).disabled = self.running
        for field in self.query(Field):
            # Choices are frozen while the engine reads them; they come back after.
            field.control.disabled = self.running
        status = self.query_one("#nav-status", Static)
        invalid = self.validate_fields(show=False)
        if self.running:
            text = self.run_status()
        elif invalid:
            count = len(invalid)
            noun = "field needs" if count == 1 else "fields need"
            text = Content.from_markup(
                "[$text-error]$n $noun attention[/]", n=str(count), noun=noun
            )
        elif self.failure_shown():
            text = self.failure_status()
        elif self.phase_done() and not self.dirty:
            text = Content.from_markup("[$text-success]✓ This step is done[/]")
        else:
            text = Content("")
        status.update(text)
        self.refresh_bindings()

    def failure_status(self) -> Content:
        """The nav line under a failure, as things are on screen: the panel is in view
        ("the panel above"), scrolled away, or the settings changed since it failed."""
        self._failure_seen = self.failure_in_view()
        if self.dirty:
            return Content.from_markup("[$text-accent]Settings changed: ctrl+n tries again[/]")
        if not self._failure_seen:
            return Content.from_markup("[$text-warning]Stopped: scroll up to see why[/]")
        return Content.from_markup("[$text-warning]Stopped: the panel above says why[/]")

    def failure_in_view(self) -> bool:
        """The failure's cause is inside the form's visible part (a panel not laid out
        yet counts: it is scrolled into view as it is shown)."""
        main = self.query_one("#main", VerticalScroll).region
        for panel in self.query(FailurePanel):
            if panel.has_class("-shown"):
                cause = panel.query("#failure-cause")
                region = cause.first().region if cause else None
                return not region or not main or region.overlaps(main)
        return False

    def _laid_out(self, screen: Any) -> None:
        """After each layout (a scroll included): the nav line may point at a failure
        panel scrolled away, or not yet say that a new one is in view."""
        if (
            not self.running
            and self.is_attached
            and self.failure_shown()
            and self.failure_in_view() != self._failure_seen
        ):
            self.update_nav()

    def run_status(self) -> Content:
        """The nav line during a run: working, stopping, or which earlier step is
        running again (the bar's ◌ alone was easy to miss, and the log said the rest)."""
        if self._stopping:
            return Content.from_markup("[$text-warning]Stopping at the next safe point…[/]")
        doing = self.redoing()
        if doing:
            return Content.from_markup("[$text-accent]$doing…[/] ctrl+x cancels", doing=doing)
        return Content.from_markup("[$text-accent]Working…[/] ctrl+x cancels")

    def redoing(self) -> str | None:
        """What a run from this screen is doing on an earlier step, in words ("Creating
        the cluster again"), or None while it works on this screen's own steps.

        The runner records a step as running only once its check has found it not
        done (no event says so), so this reads the records."""
        for step_id, record in self.session.steps.items():
            phase = wizard_phase(step_id)
            if record.state != "running" or phase is None or phase == self.PHASE:
                continue
            again = " again" if phase in self._done_before_run else ""
            if step_id == "cluster" and self._creating_cluster():
                return f"Creating the cluster{again}"
            return f"{PHASE_TITLES[phase]}{again}: {self.step_title(step_id)}"
        return None

    def _creating_cluster(self) -> bool:
        """The running cluster step has asked GKE for a new cluster in this run."""
        operation = (self.session.outputs.get("cluster") or {}).get("operation")
        return bool(operation) and operation != self._operation_before_run

    def follow_records(self) -> None:
        """The step bar and the nav line follow the step records while a run goes: a
        step goes to running, or back to pending, between the engine's events."""
        seen = tuple((step_id, rec.state) for step_id, rec in self.session.steps.items())
        if seen == self._records_seen:
            return
        self._records_seen = seen
        self.refresh_indicator()
        if self.running:
            self.query_one("#nav-status", Static).update(self.run_status())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show Cancel only while running; grey out Next/Back while running."""
        if action == "cancel_run":
            return self.running
        if action in ("next", "back"):
            return not self.running
        return True

    def action_next(self) -> None:
        if self.wizard.refused_while_running():
            return
        invalid = self.validate_fields(show=True)
        if invalid:
            invalid[0].control.focus()
            names = ", ".join(f.label for f in invalid)
            self.notify(
                f"Fix {names} first: the message under each field says what is wrong.",
                title="Cannot continue yet",
                severity="warning",
            )
            self.update_nav()
            return
        following = self.next_phase()
        if self.phase_done() and not self.dirty and following is not None:
            self.wizard.flush_save()
            self.wizard.goto(following)
            return
        self.start_run()

    def action_back(self) -> None:
        if self.query("HelpPanel"):
            # Esc with the palette's "Keys" panel open closes the panel, as Esc closes
            # every other overlay; it used to also leave the step.
            self.app.action_hide_help_panel()
            return
        if self.wizard.refused_while_running():
            return
        self.wizard.flush_save()
        previous = self.previous_phase()
        if previous is None:
            self.wizard.open_picker()
        else:
            self.wizard.goto(previous)

    @on(Button.Pressed, "#next")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#retry")
    def _retry(self) -> None:
        self.hide_failure()
        self.retry()

    def retry(self) -> None:
        """Run the last run again (done steps are checked and skipped)."""
        self.start_run()

    @on(Button.Pressed, "#failure-back")
    def _failure_back(self) -> None:
        phase, setting = self.way_back
        if phase == self.PHASE:
            self.focus_setting(setting)
        elif self._elsewhere(phase, setting):
            self.change_on(phase, setting)
        else:
            self.action_back()

    def _elsewhere(self, phase: str | None, setting: str | None) -> bool:
        """The way back is another step's settings, not plainly the previous step."""
        return phase is not None and (setting is not None or phase != self.previous_phase())

    def change_on(self, phase: str | None, setting: str | None) -> None:
        """Go to the step screen where ``setting`` is chosen, its field focused."""
        if phase is None or self.wizard.refused_while_running():
            return
        from kfwizard.screens import screen_for

        self.wizard.flush_save()
        screen = screen_for(phase)
        if isinstance(screen, WizardScreen):
            screen.focus_on_open = setting
        self.wizard.show_screen(screen)

    def field_for(self, setting: str) -> Field | None:
        """The field on this screen where ``setting`` is chosen, if it is shown."""
        phase, key = SETTING_FIELDS.get(setting, (None, ""))
        if phase != self.PHASE:
            return None
        for field in self.query(f"#field-{key}").results(Field):
            return field if shown(field) else None
        return None

    def focus_setting(self, setting: str | None) -> None:
        """Focus the field of ``setting`` (scrolled into view), or the first field shown
        when there is none: the failure panel's "Change settings"."""
        field = self.field_for(setting) if setting else None
        if field is None:
            field = next((f for f in self.query(Field) if shown(f)), None)
        if field is not None and field.control.focusable:
            field.control.focus()

    @on(Button.Pressed, "#save-quit")
    def _save_quit(self) -> None:
        self.wizard.action_save_and_quit()

    @on(Notice.Dismissed)
    def _notice_dismissed(self, event: Notice.Dismissed) -> None:
        if event.notice.id == "first-run":
            self.wizard.mark_intro_seen()

    # -- runs ----------------------------------------------------------------------
    def start_run(self) -> None:
        """Run the plan up to this phase (done steps are checked and skipped)."""
        assert self.bridge is not None
        self.wizard.flush_save()
        self.hide_failure()
        self.show_log()
        for notice in self.query("#first-run"):
            # Pressing on means the notice was read; give its lines to the progress.
            notice.remove()
            self.wizard.mark_intro_seen()
        self.dirty = False
        if not self.begin_run():
            return
        self.update_nav()
        self.query_one("#main", VerticalScroll).scroll_home(animate=False)
        self.query_one("#log", LogPane).focus()

    def show_log(self) -> None:
        """Give the log its room: ``-has-log`` on, ``-log-empty`` off.

        Only the widgets of ``LOG_STYLED`` are restyled, not the whole screen as a class
        change on the screen does (about 17 ms of the 22 ms a run's start took).
        """
        if "-has-log" in self.classes and "-log-empty" not in self.classes:
            return
        self.add_class("-has-log", update=False)
        self.remove_class("-log-empty", update=False)
        for node in self.query(", ".join(LOG_STYLED)):
            node.update_node_styles()

    def run_is_consent(self) -> bool:
        """Whether pressing this screen's run button already agreed to create a cluster
        (only the Cluster step's "Create cluster" does, with the price above it)."""
        return False

    def begin_run(self, plan: list[Any] | None = None) -> bool:
        """Start the bridge's run with the app's run options; False (and the failure
        panel says why) when the options cannot be built, e.g. a bad KFWIZARD_TIMEOUTS."""
        from kfwizard.engine.errors import KfwizardError

        assert self.bridge is not None
        try:
            self.bridge.options = self.wizard.run_options(consent=self.run_is_consent())
        except KfwizardError as exc:
            from kfwizard.bridge import failed_result

            self.show_failure(failed_result(exc.cause, exc.action, exc.exit_code))
            self.update_nav()
            return False
        self._run_open, self._stopping, self._restored = True, False, None
        self._done_before_run = {
            phase for phase, state in session_phase_states(self.session).items() if state == "done"
        }
        self._operation_before_run = (self.session.outputs.get("cluster") or {}).get("operation")
        self.bridge.start(self.PHASE, plan=plan)
        return True

    def action_cancel_run(self) -> None:
        if self.running and self.bridge is not None and self.bridge.cancel():
            # The worker reads CANCELLED at once; the thread stops at its next safe
            # point and posts RunFinished, which closes the run.
            self._stopping = True
            self.notify(
                "Stopping at the next safe point; the session stays resumable.", title="Cancelling"
            )
            self.update_nav()

    def on_engine_event(self, message: EngineEvent) -> None:
        message.stop()
        event = message.event
        log = self.query_one("#log", LogPane)
        if isinstance(event, StepOutput):
            log.feed(event.lines)
            self.follow_records()
        elif isinstance(event, PlanStarted):
            self._titles = {step_id: title for step_id, title, _ in event.steps}
            if self.SHOW_STEP_LIST:
                self.query_one("#step-list", StepList).set_steps(
                    self._listed(event.steps), fresh=True
                )
            self.refresh_indicator()
        elif isinstance(event, StepStarted):
            log.feed((f"── {event.title} ──",))
            if event.phase == self.PHASE:
                box = self.query_one("#commands", CommandsBox)
                box.set_commands(event.commands)
                box.border_title = f"Equivalent commands · {event.title}"
            if self.SHOW_STEP_LIST and event.step_id in self._listed_ids:
                self.query_one("#step-list", StepList).started(
                    event.step_id, event.title, event.eta_seconds
                )
            self.refresh_indicator()
        elif isinstance(event, StepProgress):
            if self.SHOW_STEP_LIST:
                self.query_one("#step-list", StepList).progress(event.step_id, event.counted())
            self.follow_records()
        elif isinstance(event, StepDetail):
            if event.key == "warning":  # whatever screen ran the step, a toast
                self.warn_once(str(event.value))
            else:
                self.on_step_detail(event)
        elif isinstance(event, StepFinished):
            if event.details:
                self._failure_details[event.step_id] = tuple(event.details)
            title = self._titles.get(event.step_id, event.step_id)
            mark = {"done": "✓", "skipped": "✓", "failed": "✗", "interrupted": "!"}.get(
                event.state, "·"
            )
            note = event.cause or event.note or event.state
            log.feed((f"{mark} {title}: {note}",))
            if self.SHOW_STEP_LIST and event.step_id in self._listed_ids:
                self.query_one("#step-list", StepList).finished(
                    event.step_id, event.state, event.elapsed, event.note or ""
                )
            self.follow_records()
        elif isinstance(event, PlanFinished):
            self.follow_records()

    def warn_once(self, text: str) -> None:
        """A step's warning as a toast, the first time this session says it.

        Steps say a standing fact again on every run (the cluster is smaller than the
        answers, an old cluster is still billed): repeated, the same toast stacked up
        over the failure panel and the log. The step also logs each warning, so it
        stays findable there; a warning whose words change is news and shows again."""
        said = self.wizard.warnings_shown
        key = (self.session.id, text)
        if key in said:
            return
        said.add(key)
        self.notify(text, title="Warning", severity="warning", timeout=30)

    def _listed(self, steps: tuple[tuple[str, str, str], ...]) -> list[tuple[str, str]]:
        """The plan's steps this screen lists: its phase's, or all of a plan with none
        of them (a teardown run from Verify)."""
        mine = [(sid, title) for sid, title, phase in steps if phase == self.PHASE]
        chosen = mine or [(sid, title) for sid, title, _ in steps]
        self._listed_ids = {sid for sid, _ in chosen}
        return chosen

    def on_step_detail(self, event: StepDetail) -> None:
        """Structured data from a step (a table, a plan); subclasses show it."""

    def on_run_finished(self, message: RunFinished) -> None:
        message.stop()
        self._run_open = False
        result = message.result
        self.last_result = result
        self.query_one("#log", LogPane).drain()
        self.refresh_indicator()
        if result.state == "done":
            self.run_succeeded()
        else:
            self.show_failure(result)
        self.update_nav()
        self.refresh_commands()
        self.wizard.run_finished(result)

    def run_succeeded(self) -> None:
        """The phase's steps are done: say so and offer the next step."""
        following = self.next_phase()
        if following is not None:
            self.notify(
                f"{PHASE_TITLES[self.PHASE]} is done. Next: {PHASE_TITLES[following]}.",
                title="Done",
            )
        self.query_one("#next", Button).focus()

    def show_failure(self, result: Any, *, focus: bool = True) -> None:
        interrupted = result.state == "interrupted"
        step = result.failed_step
        title_of = self.step_title(step) if step else "The run"
        if interrupted:
            title = f"! {title_of}: stopped"
            action = (
                "press Resume to carry on from here, or quit: the session is saved and resumable."
            )
        else:
            title = f"✗ {title_of} failed"
            action = result.action
        attempts = self.session.steps[step].attempts if step in self.session.steps else 0
        if attempts > 1:
            # A retry that fails the same way must not look like nothing happened.
            title = f"{title} · attempt {attempts}"
        details = worth_showing(
            self._failure_details.get(step or "", ()), f"{result.cause or ''} {action or ''}"
        )
        self.way_back = self.failure_way_back(result)
        phase, setting = self.way_back
        if phase == self.PHASE:
            back = "Change settings"
        elif phase is not None and self._elsewhere(phase, setting):
            back = f"Back to {SHORT_TITLES[phase]}"
        else:
            back = "Back"
        self.failure_panel().show_failure(
            title,
            result.cause,
            action,
            details,
            interrupted=interrupted,
            focus=focus,
            back_label=back,
        )

    def failure_way_back(self, result: Any) -> tuple[str | None, str | None]:
        """Where the failure panel's second button takes the user: (phase, setting).

        To the setting the failure's advice names ("try another zone": Location), on
        this screen or the earlier one where it is chosen; a failed step of this
        screen's own with nothing named goes to this screen's first field. The
        previous step only when there is nothing to change here (Install, Verify) or
        the run was stopped rather than failed.
        """
        previous = self.previous_phase()
        if result.state == "interrupted":
            return previous, None
        step = result.failed_step
        phase = wizard_phase(step) if step else self.PHASE
        setting = setting_to_change(
            result.cause or "", result.action or "", words=phase in SETTING_PHASES
        )
        if setting is not None:
            phase = SETTING_FIELDS[setting][0]
        if phase is None or phase not in SETTING_PHASES:
            return previous, None
        if PHASES.index(phase) > PHASES.index(self.PHASE):
            return previous, None
        return phase, setting

    def step_title(self, step_id: str) -> str:
        """A step's title from the plan; before the plan is known, a readable id."""
        return self._titles.get(step_id) or step_id.replace("-", " ").capitalize()

    def failure_panel(self) -> FailurePanel:
        """The failure panel, mounted under the intro the first time it is needed:
        most screens never fail, and nine hidden widgets slowed every screen's start."""
        for panel in self.query(FailurePanel):
            return panel
        panel = FailurePanel(id="failure")
        main = self.query_one("#main", VerticalScroll)
        anchor = main.query("#first-run, #intro, #screen-title").last()
        main.mount(panel, after=anchor)
        return panel

    def failure_shown(self) -> bool:
        return any(panel.has_class("-shown") for panel in self.query(FailurePanel))

    def hide_failure(self) -> None:
        for panel in self.query(FailurePanel):
            panel.hide()

    def restore_failure(self) -> None:
        """On a resumed session, show the last failure of this phase's steps."""
        for step_id, rec in self.session.steps.items():
            if wizard_phase(step_id) != self.PHASE:
                continue
            if rec.state in ("failed", "interrupted"):
                from kfwizard.engine.runner import RunResult

                self.show_log()
                self._restored = RunResult(rec.state, 1, step_id, rec.cause, rec.action)
                # Sent here to change a setting: its field keeps the focus, not Retry.
                self.show_failure(self._restored, focus=self.focus_on_open is None)
                self._load_log_tail()
                return

    def _load_log_tail(self) -> None:
        """Show the end of the session log so a resumed failure has its context."""
        from kfwizard.engine.logfile import SessionLog

        path = SessionLog(self.session.id).path
        try:
            with path.open("rb") as handle:
                handle.seek(0, 2)
                size = handle.tell()
                handle.seek(max(0, size - 16_000))
                tail = handle.read().decode("utf-8", errors="replace").splitlines()[-80:]
        except OSError:
            return
        if tail:
            log = self.query_one("#log", LogPane)
            log.feed(("── earlier output, from the session log ──", *tail))

    def refresh_indicator(self) -> None:
        if not self.is_attached:
            return
        indicator = self.query_one("#steps", StepIndicator)
        states = session_phase_states(self.session)
        if self.running and states.get(self.PHASE) == "pending":
            states[self.PHASE] = "running"
        indicator.show(states)

    def _prefill_step_list(self) -> None:
        """Show this phase's steps from the session before anything runs."""
        rows = [
            (step_id, self.step_title(step_id))
            for step_id in self.session.steps
            if wizard_phase(step_id) == self.PHASE
        ]
        states = {sid: rec.state for sid, rec in self.session.steps.items()}
        if not rows:
            rows = [(sid, self._titles.get(sid, title)) for sid, title in self.default_steps()]
        self.query_one("#step-list", StepList).set_steps(rows, states)

    def default_steps(self) -> list[tuple[str, str]]:
        """The phase's steps before the plan is known: (id, title)."""
        return []

    # -- commands ------------------------------------------------------------------
    def static_commands(self) -> list[str]:
        """Commands to show before the plan's own are known."""
        return []

    def refresh_commands(self) -> None:
        """Ask the plan's steps for their commands (in a thread: steps import clients)."""
        if self.running or not self.is_attached:
            return
        self._commands_worker(self.session.copy())

    @work(
        thread=True,
        exclusive=True,
        group="commands",
        exit_on_error=False,
        description="kfwizard: listing the equivalent commands",
    )
    def _commands_worker(self, snapshot: Session) -> None:
        commands, titles = self._list_commands(snapshot)
        if titles and not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._set_commands, commands, titles)

    def _list_commands(self, snapshot: Session) -> tuple[list[str], dict[str, str]]:
        """This phase's commands and every planned step's title (none if the plan
        cannot be built from these selections)."""
        try:
            steps = self.wizard.plan_for(snapshot.selections, self.PHASE)
        except Exception:
            return [], {}
        commands: list[str] = []
        for step in steps:
            if phase_of_step(step.id) != self.PHASE:
                continue
            try:
                commands.extend(step.commands(snapshot))
            except Exception:
                continue
        return commands, {step.id: step.title for step in steps}

    def _set_commands(self, commands: list[str], titles: dict[str, str]) -> None:
        """The plan's commands and step titles, once a worker has built the plan."""
        if not self.is_attached or self.running:
            return
        if commands:
            box = self.query_one("#commands", CommandsBox)
            box.set_commands(commands)
            box.border_title = "Equivalent commands"
        known = dict(self._titles)
        self._titles = {**titles, **self._titles}
        if self._titles == known:
            return
        if self.SHOW_STEP_LIST and self.last_result is None:
            self._prefill_step_list()
        if self._restored is not None and self.failure_shown():
            self.show_failure(self._restored, focus=False)  # now with the step's title

    def action_copy_commands(self) -> None:
        box = self.query_one("#commands", CommandsBox)
        if not box.commands:
            self.notify("There are no commands to copy on this step yet.")
            return
        self.app.copy_to_clipboard(box.text())
        count = len([c for c in box.commands if not c.startswith("#")])
        self.notify(f"{plural(count, 'command')} copied to the clipboard.", title="Copied")

    def action_save_log(self) -> None:
        self.query_one("#log", LogPane).action_save()

    def action_focus_log(self) -> None:
        self.query_one("#log", LogPane).focus()

    def action_toggle_log_wrap(self) -> None:
        self.query_one("#log", LogPane).action_toggle_wrap()

    def on_log_pane_wrap_toggled(self, message: LogPane.WrapToggled) -> None:
        """Every step's log opens the way the user last left one."""
        self.wizard.set_pref("log_wrap", message.wrap)

    # -- help ----------------------------------------------------------------------
    def help_text(self) -> tuple[str, str, list[tuple[str, str]]]:
        """(title, Markdown, keys) for the F1 dialog."""
        title = f"Step {PHASES.index(self.PHASE) + 1} of 5 · {PHASE_TITLES[self.PHASE]}"
        return title, self.HELP or self.INTRO, COMMON_KEYS
