"""The session picker: resume where an install stopped, start anew, or clean up.

Most people who come back to kfwizard come back because something broke. The picker
puts the latest session first, says which step it reached and how it ended, shows the
last problem of the highlighted session, and resumes it with Enter.
"""

from __future__ import annotations

import contextlib
import functools
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, DataTable, Label, Static

from kfwizard.screens.styled_once import StyledOnceScreen
from kfwizard.session_list import before_verify, listed_step, shown_status, stamp
from kfwizard.widgets.key_bar import KeyBar
from kfwizard.widgets.notice import Notice
from kfwizard.widgets.step_indicator import session_phase_states
from kfwizard.wording import plural

HERE = Path(__file__).parent
"""Stylesheets are found from here, also for subclasses defined elsewhere."""

if TYPE_CHECKING:
    from kfwizard.app import WizardApp
    from kfwizard.session import Session

STATUS_TEXT: dict[str, tuple[str, str]] = {
    "new": ("not started", "$text-muted"),
    "in progress": ("in progress", "$foreground"),
    "running": ("running", "$text-accent"),
    "done": ("✓ done", "$text-success"),
    "failed": ("✗ failed", "$text-error"),
    "interrupted": ("! interrupted", "$text-warning"),
    "removed": ("removed", "$text-muted"),
}


def status_text(session: Session, lock_path: Path | None = None) -> tuple[str, str]:
    """The Status column: a run that finished but stopped before Verify is not "done"
    (``kfwizard run --until cluster`` leaves such sessions, and so does quitting
    between steps); with the session's ``lock_path``, a "running" one whose process is
    gone is "interrupted". Verify counts as done by the step bar's rule, so a session a
    teardown undid is never "✓ done"."""
    verified = session_phase_states(session)["verify"] == "done"
    status = before_verify(session.status, verified)
    if lock_path is not None:
        status = shown_status(status, lock_path)
    return STATUS_TEXT.get(status, (status, "$foreground"))


def step_text(session: Session) -> str:
    """The Step column: where Resume takes the session, or "Teardown" when its latest
    run was one; the rule ``kfwizard sessions`` uses too (:func:`listed_step`)."""
    return listed_step(
        session.steps, session.status, session.journal, mode_changed=session.mode_changed()
    )


def name_text(session: Session) -> str:
    """The Name column: the name given, or a dash (the ID column has the id)."""
    return str(session.name or session.selections.get("name") or "—")


NAME_MIN_WIDTH = 8
"""The Name column never gets narrower than this; the other columns come first."""


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, ending in "…" when cut. A name is free text of
    any length: left whole, a long one widens its column until Step, Status, Updated
    and ID fall off the screen (at 80 columns only the Name was left)."""
    return Content(text).truncate(max(1, width), ellipsis=True).plain


def step_titles(selections: dict[str, Any]) -> dict[str, str]:
    """Engine step id -> title as the screens show it (their step lists and failure
    panels): the plan's titles for these selections (some depend on them: a kubeconfig
    context is no "GKE cluster") and the teardown steps' fixed ones. Built only when
    there is something to say about a step."""
    from kfwizard.engine.plan import build_plan
    from kfwizard.engine.step import BaseStep
    from kfwizard.engine.steps import teardown

    titles: dict[str, str] = {}
    for value in vars(teardown).values():
        if isinstance(value, type) and issubclass(value, BaseStep) and value is not BaseStep:
            title = value.__dict__.get("title")
            if isinstance(title, str):
                titles[value.id] = title
    try:
        titles.update({step.id: step.title for step in build_plan(selections)})
    except Exception:  # selections the plan refuses: the ids' readable form will do
        pass
    return titles


def step_title(step_id: str, titles: dict[str, str]) -> str:
    """A step's title from ``titles`` (:func:`step_titles`); an id none has (an older
    kfwizard's) reads as the screens read an unknown one. Internal ids ("rollout:",
    "wait-namespaces:") mean nothing to the person reading the picker."""
    return titles.get(step_id) or step_id.replace("-", " ").capitalize()


@functools.cache
def _user_stop_cause() -> str:
    """What a step stopped at the user's request records as its cause (the engine's
    ``Cancelled`` default; a stop with an aftermath adds it after this)."""
    from kfwizard.engine.errors import Cancelled

    return Cancelled().cause


STOPPED_BEFORE_START = "stopped before this step started"
"""The cause the runner records when a stop came between two steps, for the next one."""

PROCESS_GONE = (
    "the kfwizard process running it ended (a closed terminal or a kill); Resume checks "
    "what it did and carries on"
)


def last_problem(session: Session, process_gone: bool = False) -> tuple[str, str, str] | None:
    """What the detail line says about how the session's last run ended, as
    ``(heading, colour, text)``, or None when nothing went wrong.

    A failure is a problem, named with the step's title in quotes (the "GKE cluster"
    step: a bare title read as a noun). A stop the user asked for is not a problem: it
    says what happened ("Stopped at your request during …"). Any
    other stop (a closed terminal, a kill) is an interruption. With ``process_gone``
    (a "running" session nobody runs), the step that was running was interrupted.
    """
    if process_gone:
        running = [step_id for step_id, rec in session.steps.items() if rec.state == "running"]
        if running:
            title = step_title(running[-1], step_titles(session.selections))
            return f'Interrupted during the "{title}" step:', "$text-warning", PROCESS_GONE
    for step_id, rec in reversed(list(session.steps.items())):
        if rec.state not in ("failed", "interrupted") or not rec.cause:
            continue
        title = step_title(step_id, step_titles(session.selections))
        if rec.state == "failed":
            return f'Last problem in the "{title}" step:', "$text-error", rec.cause
        stop = _user_stop_cause()
        if rec.cause.startswith(stop):
            aftermath = rec.cause[len(stop) :].strip()
            return f'Stopped at your request during the "{title}" step.', "", aftermath
        if rec.cause == STOPPED_BEFORE_START:
            return f'Stopped at your request before the "{title}" step.', "", ""
        return f'Interrupted during the "{title}" step:', "$text-warning", rec.cause
    return None


def human_ago(iso: str, now: float) -> str:
    """``just now``, ``3 min ago``, ``2 h ago``, ``yesterday``, ``5 days ago`` or a date."""
    try:
        then = datetime.fromisoformat(iso).timestamp()
    except (TypeError, ValueError):
        return "unknown"
    seconds = max(0.0, now - then)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d")


def unused(session: Session, fresh: dict[str, Any], detected_project: str | None) -> bool:
    """A new session nothing was chosen or run in: no step ran, no name was given, and
    its selections are what a new session starts with (``fresh``). A project the
    Project screen filled in by itself (``detected_project``, gcloud's) is no choice.
    Kept: anything typed or changed, and a session from an answers file."""
    from kfwizard.answers import merged_with_defaults

    if session.status != "new" or session.name or session.selections.get("name"):
        return False
    if session.steps or session.journal or session.outputs or session.inventory:
        return False
    if session.origin:
        return False
    chosen = merged_with_defaults(session.selections)
    start = merged_with_defaults(fresh)
    if detected_project and not start.get("project") and chosen.get("project") == detected_project:
        chosen["project"] = start.get("project")
    return chosen == start


def still_there(session: Session) -> str:
    """What the session created that is still there as far as it knows, for the
    picker's delete question: the clusters by name (billed until deleted), its install,
    and that deleting the record deletes none of it, with the teardown that does.
    Empty when nothing is left. After the record is gone kfwizard cannot tear it down."""
    from kfwizard.engine.cluster_inventory import clusters_to_delete, remaining_cluster

    inventory = session.inventory
    own = [c for c in clusters_to_delete(inventory) if c.get("created_by_session")]
    objects = inventory.get("objects") or []
    if session.status == "removed":
        objects = []  # its teardown deleted them (the inventory still lists them)
    if not own and not objects:
        return ""
    said = []
    if own:
        names = " and ".join(f"{c['name']} in {c.get('location', '?')}" for c in own)
        one = len(own) == 1
        billed = (
            "emulated in the demo: nothing is billed"
            if session.demo
            else f"billed until {'it is' if one else 'they are'} deleted"
        )
        said.append(
            f"{'Cluster' if one else 'Clusters'} {names}, created by this session, "
            f"{'is' if one else 'are'} still there ({billed})."
        )
    if objects:
        cluster = remaining_cluster(inventory).get("name")
        on = f"on cluster {cluster}" if cluster else "on the cluster"
        said.append(f"Its Kubeflow install ({plural(len(objects), 'Kubernetes object')}) is {on}.")
    command = f"kfwizard teardown --session {session.id}" + (" --delete-cluster" if own else "")
    said.append(
        "Deleting the session does not delete any of it, and kfwizard can then no longer "
        f"do it for you. To delete it first: {command} (or resume the session and press t "
        "on the Verify step)."
    )
    return " ".join(said)


class SessionTable(DataTable[Any]):
    """The sessions table. Its Enter (DataTable's ``select_cursor``, which resumes
    through ``RowSelected``) is shown as "Resume": the table's own hidden Enter binding
    hid the screen's from the key bar while the table had focus, which is always."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Resume", tooltip="Resume the highlighted session"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No "Resume" for an empty table (the last session just deleted): the table can
        keep the focus while hidden, and its Enter then stayed in the key bar."""
        if action == "select_cursor":
            return self.row_count > 0
        return super().check_action(action, parameters)


class SessionsScreen(StyledOnceScreen):
    """A table of sessions with New / Resume / Delete."""

    CSS_PATH = HERE / "sessions.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "resume", "Resume", show=True, priority=False),
        Binding("n", "new", "New session"),
        Binding("d,delete", "delete", "Delete"),
        Binding("escape", "back", "Back", tooltip="Return to the session that was open"),
    ]

    HELP = (
        "Each **session** is one install: what you chose, what each step did and what it "
        "created. Pick one and press **Enter** to carry on where it stopped (a failed step "
        "is checked and run again; finished steps are verified and skipped). **New** starts "
        "a fresh install. **Delete** forgets a session's record; it does not touch anything "
        "in Google Cloud (use Teardown on the Verify step for that)."
    )

    def __init__(self, back_to: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.sessions: list[Session] = []
        self.ready = False
        """True once the table is filled (tests wait for it)."""
        self.back_to = back_to
        """(session id, step) of the step screen the picker replaces; Esc goes back."""
        self._filled_width = 0
        """The width the Name column was fitted to."""

    @property
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Horizontal(id="header"):
            yield Label("kfwizard", id="app-title")
            yield Label("Sessions", id="sessions-heading")
        if self.wizard.demo:
            yield Static(self.wizard.demo_banner(), id="demo-banner")
        with Vertical(id="sessions-body"):
            yield Static(
                "Resume an install where it stopped (Enter), or start a new one (n).",
                id="sessions-intro",
            )
            yield Vertical(id="sessions-notices")
            yield SessionTable(id="sessions-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="sessions-detail")
            with Horizontal(id="sessions-buttons"):
                yield Button("Resume", id="resume", variant="primary", compact=True)
                yield Button("New session", id="new", compact=True)
                yield Button("Delete…", id="delete", variant="error", compact=True)
        yield KeyBar()

    def on_mount(self) -> None:
        # The table exists by now (Textual mounts descendants before the screen's
        # Mount): filled here, it is laid out and painted with the screen, once.
        self._setup()

    def _setup(self) -> None:
        self._forget_unused()
        table = self.query_one(DataTable)
        table.add_column("Name", key="name")
        table.add_column("Step", key="step")
        table.add_column("Status", key="status", width=13)
        table.add_column("Updated", key="updated")
        table.add_column("ID", key="id")
        self.reload()
        self._show_notices()
        table.focus()
        self.ready = True

    def _forget_unused(self) -> None:
        """The session just left for the picker is deleted when nothing was chosen or
        run in it (:func:`unused`): each "n" then Esc left another "Project · not
        started" row. Its Back goes with it; "n" starts a new one."""
        if self.back_to is None:
            return
        from kfwizard.session import SessionError

        store = self.wizard.store
        try:
            session = store.load(self.back_to[0])
        except SessionError:
            return
        detected = None
        if not self.wizard.demo:
            from kfwizard.gcp.auth import detect_project

            with contextlib.suppress(Exception):  # unreadable gcloud files: none found
                detected = detect_project(self.wizard.env, ask_google=False).project
        if not unused(session, self.wizard.new_selections(), detected):
            return
        try:
            store.delete(session.id)
        except SessionError:
            return  # open elsewhere (its lock is held): it stays listed
        self.back_to = None

    def _show_notices(self) -> None:
        box = self.query_one("#sessions-notices", Vertical)
        if self.wizard.startup_problem:
            box.mount(
                Notice(
                    self.wizard.startup_problem, title="Could not open that session", warning=True
                )
            )
            self.wizard.startup_problem = None
        for problem in self.wizard.store.set_aside:
            box.mount(Notice(problem.message(), title="A session file was set aside", warning=True))
        self.wizard.store.set_aside.clear()
        for unread in self.wizard.store.unreadable:
            box.mount(Notice(unread.message(), title="Could not be read", warning=True))
        shown: set[Path] = set()
        for newer in self.wizard.store.newer:
            if newer.path not in shown:
                shown.add(newer.path)
                box.mount(Notice(newer.message(), title="Left for a newer kfwizard", warning=True))
        self.wizard.store.newer.clear()
        intro = self.wizard.first_run_notice()
        if intro is not None:
            box.mount(intro)

    def reload(self) -> None:
        """Re-read the sessions folder and refill the table (newest first)."""
        self.sessions = self.wizard.store.list()
        self._fill()
        empty = not self.sessions
        self.query_one("#resume", Button).disabled = empty
        self.query_one("#delete", Button).disabled = empty
        self.query_one(DataTable).display = not empty
        if empty:
            self.query_one("#sessions-detail", Static).update(
                "No sessions yet. Press n (or New session) to start one."
            )
        table = self.query_one(SessionTable)
        if empty and table.has_focus:
            self.query_one("#new", Button).focus()  # the one thing to do now
        table.refresh_bindings()
        self.refresh_bindings()  # Resume, Delete and Back depend on what is listed
        self._update_detail()

    def _fill(self) -> None:
        """Fill the table from ``self.sessions``, the names fitted to the width."""
        table = self.query_one(DataTable)
        now = self.wizard.clock()
        rows = []
        for session in self.sessions:
            status, colour = status_text(session, self.wizard.store.lock(session.id).path)
            rows.append(
                (
                    name_text(session),
                    step_text(session),
                    Content.from_markup(f"[{colour}]$s[/]", s=status),
                    human_ago(session.updated_at, now),
                    session.id,
                )
            )
        self._filled_width = self.app.size.width
        width = self._name_width(table, rows)
        row = table.cursor_row
        table.clear()
        for session, (name, *others) in zip(self.sessions, rows, strict=True):
            table.add_row(fit(name, width), *others, key=session.id)
        if 0 <= row < table.row_count:
            table.move_cursor(row=row, animate=False)

    def _name_width(self, table: DataTable[Any], rows: list[tuple[Any, ...]]) -> int:
        """The Name column's share of the width: what Step, Status, Updated and ID
        (never cut: the ID is what ``--session`` takes) and the scrollbar leave."""
        padding = 2 * table.cell_padding
        others = 0
        for index, column in enumerate(list(table.columns.values())[1:], start=1):
            if column.auto_width:
                cells = [Content(column.label.plain), *(Content(str(r[index])) for r in rows)]
                others += max(cell.cell_length for cell in cells) + padding
            else:
                others += column.width + padding
        body = self.query_one("#sessions-body")
        room = self.app.size.width - body.styles.padding.width
        room -= table.styles.scrollbar_size_vertical  # shown once the rows overflow
        return max(NAME_MIN_WIDTH, room - others - padding)

    def on_resize(self, event: events.Resize) -> None:
        """Fit the names again to a new width (the sessions are not read again)."""
        if self.ready and self.app.size.width != self._filled_width and self.sessions:
            self._fill()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Resume and Delete only with a session listed, Back only to a session that
        was open and still exists: the key bar offers no key that does nothing."""
        if action in ("resume", "delete"):
            return bool(self.sessions)
        if action == "back":
            return self.back_to is not None and any(s.id == self.back_to[0] for s in self.sessions)
        return True

    def action_back(self) -> None:
        """Return to the session and step that were open before the picker."""
        if self.back_to is not None:
            self.wizard.open_session(*self.back_to)

    def selected(self) -> Session | None:
        table = self.query_one(DataTable)
        if not self.sessions or table.cursor_row < 0 or table.cursor_row >= len(self.sessions):
            return None
        return self.sessions[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def _update_detail(self, event: Any = None) -> None:
        session = self.selected()
        if session is None:
            return
        lock = self.wizard.store.lock(session.id).path
        gone = shown_status(session.status, lock) != session.status  # "running", nobody runs it
        problem = last_problem(session, process_gone=gone)
        parts = [f"Created {stamp(session.created_at)}"]
        if session.demo:
            parts.append("demo")
        project = session.selections.get("project")
        if project:
            parts.append(f"project {project}")
        text = Content(" · ".join(parts))
        name = name_text(session)
        if name != "—":  # whole here: the table cuts a long one to fit
            text = Content.assemble((name, "$foreground"), "\n", text)
        if problem:
            heading, colour, said = problem
            line = Content.styled(heading, colour) if colour else Content(heading)
            if said:
                line = Content.assemble(line, " ", said)
            text = Content.assemble(text, "\n", line)
        self.query_one("#sessions-detail", Static).update(text)

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_resume()

    @on(Button.Pressed, "#resume")
    def action_resume(self) -> None:
        session = self.selected()
        if session is not None:
            self.wizard.open_session(session.id)

    @on(Button.Pressed, "#new")
    def action_new(self) -> None:
        self.wizard.start_new_session()

    @on(Button.Pressed, "#delete")
    def action_delete(self) -> None:
        session = self.selected()
        if session is None:
            return
        from kfwizard.dialogs.confirm import ConfirmDialog

        warning = still_there(session)

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(session)

        self.app.push_screen(
            ConfirmDialog(
                f"Delete session {session.display_name()}?",
                Content(
                    f"The record of session {session.id} will be removed. Nothing in Google "
                    "Cloud or on the cluster is changed." + (f"\n\n{warning}" if warning else "")
                ),
                yes="Delete",
                danger=True,
            ),
            answered,
        )

    def _delete(self, session: Session) -> None:
        from kfwizard.session import SessionError

        try:
            self.wizard.store.delete(session.id)
        except SessionError as exc:
            self.notify(str(exc), title="Not deleted", severity="error", timeout=10)
            return
        self.notify(f"Session {session.display_name()} deleted.", title="Deleted")
        self.reload()
        self.query_one(DataTable).focus()

    def help_text(self) -> tuple[str, str, list[tuple[str, str]]]:
        keys = [
            ("enter", "resume the highlighted session"),
            ("n", "start a new session"),
            ("d / delete", "delete the highlighted session's record (asks first)"),
            ("up / down", "move in the list"),
            *([("escape", "return to the session that was open")] if self.back_to else []),
            ("ctrl+p", "command palette"),
            ("ctrl+q", "quit"),
        ]
        return "Sessions", self.HELP, keys
