"""The kfwizard Textual application: session handling, navigation, global keys.

The app owns the open session (and its lock: one writer at a time), moves between the
session picker and the five step screens, saves selections as they change (debounced),
and makes quitting during a run safe: it asks, cancels at the next safe point, saves,
and exits with the command line's code (0 done, 1 failed, 130 interrupted).

Start-up stays light: nothing here imports google or kubernetes; screens are imported
on demand and engine work happens in thread workers.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import Screen
from textual.timer import Timer

from kfwizard import paths
from kfwizard.collector import freeze_imports
from kfwizard.engine.phases import PHASE_TITLES
from kfwizard.session import Session, SessionError, SessionLock, SessionStore

if TYPE_CHECKING:
    from textual.await_remove import AwaitRemove
    from textual.geometry import Region
    from textual.widget import Widget

    from kfwizard.hangup import HangupExit
    from kfwizard.widgets.notice import Notice

HERE = Path(__file__).parent

DETERMINISTIC_ENV = "KFWIZARD_UI_DETERMINISTIC"
"""Set to 1 for stable rendering (tests, screenshots): fixed theme, no animation,
no ticking clocks."""

DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"

DEMO_BANNER = "Demo · built-in emulators; nothing is created in Google Cloud · F1 for more"
"""One line at 80 columns; the help says the rest."""

DEMO_HELP = (
    "**Demo mode.** Everything runs against built-in emulators on this machine; nothing "
    "is created in Google Cloud and no account is needed. The steps, commands and logs are "
    "the real ones, pointed at the emulators through the same override variables gcloud "
    "and kubectl use. To do it for real: run `kfwizard` without `--demo`."
)


def demo_commands_help() -> str:
    """How to run the commands the screens show against the demo: they need the
    emulators' addresses, which only the running demo knows (they change each start)."""
    from kfwizard.demo import shell_env_path
    from kfwizard.widgets.paths_text import display_path

    return (
        "To run the commands the screens show yourself while the demo runs, type "
        f"`. {display_path(shell_env_path())}` in another terminal first: kubectl and "
        "gcloud there then talk to the emulators too."
    )


EXIT_CODES = {"done": 0, "failed": 1, "interrupted": 130}
RUN_ENDINGS = {
    "done": "The step finished",
    "failed": "The step failed (the panel says why)",
    "interrupted": "The step stopped",
}
"""How a run ended, as the restated quit question says it."""

STOP_REASONS = {
    "SIGHUP": "Stopped because the terminal window was closed.",
    "SIGTERM": "Stopped because kfwizard was asked to end (SIGTERM, e.g. kill or a shutdown).",
}
"""The interrupted step's cause when a signal stopped the wizard."""


class WizardApp(App[int]):
    """kfwizard: Project → Cluster → Deployment mode → Install → Verify."""

    CSS_PATH: ClassVar[list[str | PurePath]] = [
        # Absolute, so subclasses in other packages (tests, embedders) find it too. Each
        # screen brings its own stylesheet (its CSS_PATH), read when it is first shown:
        # fewer rules to match while the first screen builds.
        HERE / "app.tcss",
    ]
    TITLE = "kfwizard"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", tooltip="What happens here and why"),
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Quit (asks while a step runs)"),
    ]

    def __init__(
        self,
        *,
        session_id: str | None = None,
        demo: bool = False,
        env: dict[str, str] | None = None,
        store: SessionStore | None = None,
    ) -> None:
        freeze_imports()  # see kfwizard.collector: start-up
        super().__init__()
        self.env: dict[str, str] = dict(os.environ) if env is None else dict(env)
        """The environment handed to every step (endpoint overrides, KUBECONFIG, project)."""
        self.demo = demo
        """Running against the built-in emulators (the banner says so)."""
        self.store = store or SessionStore()
        self.session: Session | None = None
        """The open session; every step screen edits and runs this one."""
        self.requested_session_id = session_id
        self.deterministic = (
            self.env.get(DETERMINISTIC_ENV) == "1" or os.environ.get(DETERMINISTIC_ENV) == "1"
        )
        """Stable rendering for snapshots: fixed theme, no animation, no ticking time."""
        self.clock: Callable[[], float] = time.time
        """Wall clock for "3 min ago" (tests pin it)."""
        self.startup_problem: str | None = None
        """Why the requested session could not be opened (shown on the picker)."""
        self._lock: SessionLock | None = None
        self._save_timer: Timer | None = None
        self._quit_after_run = False
        self.warnings_shown: set[tuple[str, str]] = set()
        """(session id, text) of each step warning shown as a toast: kept by the app,
        since one step's warning reaches several screens (Install runs the cluster step
        again) and the app may switch sessions (``WizardScreen.warn_once``)."""
        self._quit_question: Any = None
        """The open "Stop and quit?" dialog, restated when its step ends on its own."""
        self._hangup_exit: HangupExit | None = None
        """Ends the process if the exit after a closed terminal hangs (SIGHUP)."""
        self._intro_offered = False
        self.prefs: dict[str, Any] = self._load_prefs()
        if self.deterministic:
            self.animation_level = "none"
            self.theme = DARK_THEME
        else:
            theme = self.prefs.get("theme")
            self.theme = theme if theme in (DARK_THEME, LIGHT_THEME) else DARK_THEME

    # -- start-up ------------------------------------------------------------------
    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        """Restyle only nodes that are in the DOM.

        Textual restyles a node whenever its classes change, mounted or not, and applies
        the whole stylesheet again when it mounts. Widgets set classes in their
        constructors (a Button's variant and ``compact``, an Input's ``compact``), so
        each was styled two or three times before it was ever shown: about a fifth of
        the style passes while the first screen builds.
        """
        if node is self or node.is_attached:
            super().update_styles(node, animate)

    def _prune(self, *nodes: Widget, parent: DOMNode | None = None) -> AwaitRemove:
        """Remove widgets, and repaint the part of the screen they covered once gone.

        Textual repaints after a removal by comparing the screen's layout after it with
        the layout before it. After a scroll (the log following its newest line, the
        failure panel scrolled into view) it keeps only the visible part and rebuilds
        the whole "before" layout when next asked, and the removal itself asks, after
        the widget has left: before and after then agree and nothing is repainted. A
        widget in the flow leaves neighbours that move and get repainted; a toast, on
        its own layer, left its last picture on the terminal over the failure panel
        until something repainted that area (a resize, the palette).
        """
        vacated: list[tuple[Screen[Any], Region, Widget]] = []
        for node in nodes:
            with contextlib.suppress(Exception):  # not on a screen, or being closed
                screen = node.screen
                if node is not screen and screen is self.screen and node.display:
                    region = node.region.intersection(screen.region)
                    if region:
                        vacated.append((screen, region, node))
        removal = super()._prune(*nodes, parent=parent)
        if vacated:
            self.call_after_refresh(self._repaint_vacated, vacated)
        return removal

    def _repaint_vacated(
        self, vacated: list[tuple[Screen[Any], Region, Widget]], waited: int = 0
    ) -> None:
        """Repaint where removed widgets were, once they are out of the DOM (a repaint
        while one is still there would paint it again)."""
        if any(node.is_attached for _, _, node in vacated) and waited < 50:
            self.call_after_refresh(self._repaint_vacated, vacated, waited + 1)
            return
        for screen, region, _ in vacated:
            if screen.is_attached:
                screen.refresh(region)

    def get_default_screen(self) -> Screen[Any]:
        """The picker when sessions exist (offering resume); otherwise a new session."""
        if self.requested_session_id:
            try:
                session = self.store.load(self.store.resolve(self.requested_session_id))
                self._take_session(session)
            except SessionError as exc:
                self.startup_problem = str(exc)
            else:
                from kfwizard.screens import screen_for

                return self._with_css(screen_for(self.resume_phase(session)))
        if self.startup_problem or self.store.list() or self.store.skipped():
            from kfwizard.screens.sessions import SessionsScreen

            return self._with_css(SessionsScreen())
        from kfwizard.screens import screen_for

        self._take_session(self._new_session())
        return self._with_css(screen_for("project"))

    def _with_css(self, screen: Screen[Any]) -> Screen[Any]:
        """Add the first screen's stylesheet: Textual loads a screen's CSS_PATH when it
        is pushed or switched to, but not for the default screen."""
        for path in screen.css_path:
            if not self.stylesheet.has_source(str(path)):
                self.stylesheet.read(path)
        return self._presized(screen)

    def _presized(self, screen: Screen[Any]) -> Screen[Any]:
        """Give a new screen its width class (``-wide`` / ``-narrow``) before it mounts.

        Textual adds the class on the screen's first Resize, after its first layout,
        which restyles every widget and lays the screen out again. With the class
        already there, that update finds nothing to change. Textual still decides: a
        wrong guess is corrected by the same Resize.
        """
        width = self.size.width
        breakpoints = screen.HORIZONTAL_BREAKPOINTS
        for minimum, name in sorted(
            self.HORIZONTAL_BREAKPOINTS if breakpoints is None else breakpoints, reverse=True
        ):
            if width >= minimum:
                screen.add_class(name, update=False)
                break
        return screen

    def resume_phase(self, session: Session) -> str:
        """Where a resumed session opens: the first step screen that is not done, or
        Deployment mode when its choices changed after the manifests were prepared
        (the user quit before preparing them again): :meth:`Session.phase`."""
        return session.phase()

    # -- sessions ------------------------------------------------------------------
    def new_selections(self) -> dict[str, Any]:
        """What a new session starts with (the picker tells an unused one by it)."""
        from kfwizard.answers import defaults

        selections = defaults()
        if self.demo:
            from kfwizard.demo import apply_demo_defaults

            try:
                apply_demo_defaults(selections)
            except Exception:  # demo manifests missing: the mode step will say so
                selections["project"] = selections.get("project") or "kfwizard-demo"
        return selections

    def _new_session(self) -> Session:
        session = Session.new(selections=self.new_selections(), demo=self.demo)
        self.store.save(session)
        return session

    def _take_session(self, session: Session) -> None:
        """Make ``session`` the open one, holding its lock (raises SessionLocked)."""
        self._release_session()
        lock = self.store.lock(session.id)
        lock.acquire()
        self._lock = lock
        self.session = session
        from kfwizard.answers import merged_with_defaults

        session.selections = merged_with_defaults(session.selections)
        if session.settle_dead_runs():
            # Saved now so the picker and `kfwizard sessions` say so too; if the disk
            # refuses, the screen still shows it and the next save reports the problem.
            with contextlib.suppress(SessionError):
                self.store.save(session)

    def _release_session(self) -> None:
        self.flush_save()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        self.session = None

    def open_session(self, session_id: str, phase: str | None = None) -> bool:
        """Open (resume) a session at its current phase; False with a notice if it can't."""
        try:
            session = self.store.load(session_id)
            self._take_session(session)
        except SessionError as exc:
            self.notify(str(exc), title="Cannot open session", severity="error", timeout=10)
            return False
        self.goto(phase or self.resume_phase(session))
        return True

    def start_new_session(self) -> None:
        self._release_session()
        self._take_session(self._new_session())
        self.goto("project")

    def open_picker(self) -> None:
        """The session picker, in place of the step screen. Esc there goes back to the
        session and step that were open (none when the picker is the first screen)."""
        from kfwizard.screens.sessions import SessionsScreen

        phase = getattr(self.screen, "PHASE", None) if self.screen_stack else None
        back_to = (self.session.id, phase) if self.session and isinstance(phase, str) else None
        self._release_session()
        self.show_screen(SessionsScreen(back_to=back_to))

    def goto(self, phase: str) -> None:
        """Show a step screen (a fresh one; it reads everything from the session)."""
        from kfwizard.screens import screen_for

        if self.session is None:
            self.open_picker()
            return
        self.show_screen(screen_for(phase))

    def action_goto(self, phase: str) -> None:
        """Go to a step (the step indicator's links, the palette's "Resume session")."""
        if self.refused_while_running():
            return
        from kfwizard.engine.phases import PHASES

        if phase in PHASES:
            self.flush_save()
            self.goto(phase)

    def action_open_sessions(self) -> None:
        """The session picker (the palette's "Open sessions")."""
        if self.refused_while_running():
            return
        self.flush_save()
        self.open_picker()

    def refused_while_running(self) -> bool:
        """Leaving the screen, going on, going back or starting a teardown is refused
        while a step runs: its log, its progress and its Cancel live on that screen, and
        the picker would give up the session's lock under the running step. Every such
        refusal says the same words, naming the key that cancels."""
        if not self.run_in_progress():
            return False
        self.notify("A step is running. ctrl+x cancels it first.", title="Please wait")
        return True

    def show_screen(self, screen: Screen[Any]) -> None:
        """Replace the visible screen (the first one stays at the bottom of the stack,
        because Textual cannot switch away from the default screen)."""
        self._presized(screen)
        if len(self.screen_stack) <= 1:
            self.push_screen(screen)
        else:
            self.switch_screen(screen)

    # -- saving --------------------------------------------------------------------
    def schedule_save(self, delay: float = 0.4) -> None:
        """Save the selections shortly (typing does not write a file per key)."""
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(delay, self.flush_save, name="save-selections")

    def flush_save(self) -> None:
        """Save now if a save is pending (and never while the runner is writing)."""
        if self._save_timer is None:
            return
        self._save_timer.stop()
        self._save_timer = None
        if self.session is None or self.run_in_progress():
            return
        try:
            self.store.save(self.session)
        except SessionError as exc:
            self.notify(str(exc), title="Not saved", severity="error", timeout=10)

    # -- runs ----------------------------------------------------------------------
    def run_options(self, consent: bool = False) -> dict[str, Any]:
        """Options every engine step sees (``ctx.options``), built as headless runs build
        them: ``KFWIZARD_TIMEOUTS``, the demo's short stuck timeout, the session's
        ``skip_checks``. Raises ``BadInput`` for a malformed ``KFWIZARD_TIMEOUTS``.

        ``consent``: the button that started the run already said a cluster may be
        created (Create cluster, Install again…). Otherwise a run that finds its
        cluster missing asks on screen first; the demo bills nothing and never asks.
        """
        from kfwizard.engine.options import run_options

        selections = self.session.selections if self.session is not None else {}
        options = run_options(
            self.env,
            demo=self.demo,
            yes=consent or self.demo,
            skip_checks=selections.get("skip_checks"),
        )
        options["confirm"] = self.confirm_from_worker
        options["ask_secret"] = self.ask_secret_from_worker
        return options

    def confirm_from_worker(self, question: str) -> bool:
        """Ask ``question`` in a dialog from an install worker's thread and wait for the
        answer; False when the run is cancelled (or the app closes) meanwhile."""
        from kfwizard.dialogs.confirm import ConfirmDialog

        dialog = ConfirmDialog("Create a GKE cluster?", question, yes="Create cluster")
        return bool(self._answer_from_worker(dialog, False))

    def ask_secret_from_worker(self, item: Any) -> str | None:
        """Ask for a secret value (a ``SecretInput``) in a dialog from an install
        worker's thread; None when cancelled, or when the run is cancelled meanwhile."""
        from kfwizard.dialogs.secret import SecretDialog

        answer = self._answer_from_worker(SecretDialog(item.prompt, item.where(), item.env), None)
        return answer if isinstance(answer, str) else None

    def _answer_from_worker(self, dialog: Any, on_cancel: Any) -> Any:
        """Show ``dialog`` from an install worker's thread and wait for what it is
        dismissed with; ``on_cancel`` when the run is cancelled (or the app closes)."""
        import threading

        from textual.worker import get_current_worker

        worker = get_current_worker()
        answered = threading.Event()
        replies: list[Any] = []

        def show() -> None:
            def reply(answer: Any) -> None:
                replies.append(answer)
                answered.set()

            self.push_screen(dialog, reply)

        self.call_from_thread(show)
        while not answered.wait(0.1):
            if worker.is_cancelled:
                try:
                    self.call_from_thread(lambda: dialog.is_attached and dialog.dismiss(on_cancel))
                except RuntimeError:  # the app has already stopped
                    pass
                return on_cancel
        return replies[0]

    def plan_for(self, selections: dict[str, Any], phase: str) -> list[Any]:
        """The engine steps a screen runs: the plan up to and including ``phase``.

        Runs in the install worker's thread (it imports the steps). Tests and embedders
        override it to run a plan of their own.
        """
        from kfwizard.bridge import plan_until

        return plan_until(selections, phase)

    def run_in_progress(self) -> bool:
        """A step screen's run is open (until its RunFinished), or an install worker
        is still alive (a cancelled worker reads finished while its thread stops)."""
        if any(getattr(screen, "running", False) for screen in self.screen_stack):
            return True
        return any(w.group == "install" and not w.is_finished for w in self.workers)

    def run_finished(self, result: Any) -> None:
        """Called by a screen when its run ended; finishes a pending quit."""
        if self._hangup_exit is not None:
            self._hangup_exit.run_over()
        if self._quit_after_run:
            self._quit_stopped(EXIT_CODES.get(result.state, 1))
        else:
            self._restate_quit_question(result)

    def exit_code(self) -> int:
        if self.session is None:
            return 0
        return EXIT_CODES.get(self.session.status, 0)

    # -- quitting ------------------------------------------------------------------
    def on_mount(self) -> None:
        self._stop_on_signals()

    def _stop_on_signals(self) -> None:
        """SIGTERM (``kill``, a shutdown) and SIGHUP (the terminal window closed) stop
        like Ctrl+Q answered "Stop and quit": the running step stops at its next safe
        point, the session is saved as interrupted, and the exit code is 130. By
        default either signal kills the process in the middle of a step.

        Not in headless runs (``run_test``): the test process's signals stay its own.
        """
        if self.is_headless:
            return
        import asyncio
        import signal

        loop = asyncio.get_running_loop()
        for name in ("SIGTERM", "SIGHUP"):
            number = getattr(signal, name, None)
            if number is None:  # Windows has no SIGHUP
                continue
            try:
                loop.add_signal_handler(number, self.stop_for_signal, name == "SIGHUP")
            except (NotImplementedError, RuntimeError, ValueError):
                return  # no signal handlers here (not the main thread, or Windows)

    def stop_for_signal(self, hung_up: bool = False) -> None:
        """Stop at the next safe point and exit 130; a second signal exits at once.

        ``hung_up``: the terminal is gone. Textual's shutdown writes to it to restore
        it, and with no terminal that can wait for ever: a process with no window,
        holding the session's lock. A watchdog ends the process once the run has
        stopped and a normal exit had its chance (see ``HangupExit``).
        """
        if hung_up and self._hangup_exit is None:
            from kfwizard.hangup import HangupExit

            self._hangup_exit = HangupExit(EXIT_CODES["interrupted"])
            self._hangup_exit.start(run_over=not self.run_in_progress())
        if self._quit_after_run:
            self.exit(EXIT_CODES["interrupted"])
        elif self.run_in_progress():
            reason = STOP_REASONS["SIGHUP" if hung_up else "SIGTERM"]
            for screen in self.screen_stack:  # read by the runner when the step stops
                bridge = getattr(screen, "bridge", None)
                if bridge is not None:
                    bridge.options["stop_reason"] = reason
            self._stop_and_quit()
        else:
            self.flush_save()
            self.exit(self.exit_code())

    async def action_quit(self) -> None:
        """Quit; during a run, ask, then stop at the next safe point and save."""
        if not self.run_in_progress():
            self.flush_save()
            self.exit(self.exit_code())
            return
        if self._quit_after_run:
            return
        from kfwizard.dialogs.confirm import ConfirmDialog

        def answered(stop: bool | None) -> None:
            self._quit_question = None
            if not stop:
                return
            if self.run_in_progress():
                self._stop_and_quit()
            else:  # the step ended while the question was open: nothing to stop
                self.flush_save()
                self.exit(self.exit_code())

        body = (
            "A step is running. kfwizard will stop it at the next safe point and save "
            'the session, so you can resume later with "kfwizard resume".'
        )
        creating = self._cluster_still_creating(("running",))
        if creating:
            body = f"{body}\n\n{creating}"
        self._quit_question = ConfirmDialog(
            "Stop and quit?",
            Content(body),
            yes="Stop and quit",
            no="Keep running",
            danger=True,
        )
        self.push_screen(self._quit_question, answered)

    def _restate_quit_question(self, result: Any) -> None:
        """The step the open "Stop and quit?" would stop has ended on its own: the
        dialog now asks what is true ("Quit?"), with how the step ended, instead of
        offering to stop a step that no longer runs."""
        question, self._quit_question = self._quit_question, None
        if question is None or not question.is_attached:
            return
        self._quit_question = question
        ended = RUN_ENDINGS.get(getattr(result, "state", ""), "The step has ended")
        question.restate(
            "Quit?",
            f"{ended} while you were deciding: nothing is running now. The session is "
            'saved; "kfwizard resume" picks up from here.',
            yes="Quit",
            no="Stay",
        )

    def _stop_and_quit(self) -> None:
        self._quit_after_run = True
        for worker in self.workers:
            if worker.group == "install" and not worker.is_finished:
                worker.cancel()
        self.notify("Stopping at the next safe point…", title="Quitting")
        self.set_timer(20, lambda: self._quit_stopped(130), name="quit-deadline")

    def _quit_stopped(self, code: int) -> None:
        """Exit after "Stop and quit" (or a signal) stopped the run. A cluster create
        GKE had accepted goes on after the stop, and billing with it: the terminal the
        user returns to says so, not only the saved session."""
        from rich.text import Text

        creating = self._cluster_still_creating(("running", "interrupted"))
        self.exit(code, message=Text(f"kfwizard: {creating}") if creating else None)

    def _cluster_still_creating(self, states: tuple[str, ...]) -> str | None:
        """What stopping leaves going, when the Cluster step (in one of ``states``) has
        a create GKE accepted and never saw to its end: the step's own words for the
        stop (``still_creating``), and the bill. None otherwise."""
        session = self.session
        record = session.steps.get("cluster") if session is not None else None
        if session is None or record is None or record.state not in states:
            return None
        from kfwizard.engine.steps.cluster import CREATE_FAILED, still_creating

        out = session.outputs.get("cluster") or {}
        accepted = out.get("operation") or out.get("created_by_session")
        if not accepted or out.get("status") or out.get(CREATE_FAILED):
            return None
        billed = (
            "This demo's cluster is emulated: nothing is billed."
            if session.demo
            else "It is billed from now until it is deleted."
        )
        return f"{still_creating(session)} {billed}"

    def action_save_and_quit(self) -> None:
        self.flush_save()
        if self.session is not None:
            try:
                self.store.save(self.session)
            except SessionError as exc:
                self.notify(str(exc), title="Not saved", severity="error", timeout=10)
                return
        self.exit(self.exit_code())

    def on_unmount(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # -- help, theme, first run ----------------------------------------------------
    def action_help(self) -> None:
        from kfwizard.dialogs.help import HelpDialog

        if isinstance(self.screen, HelpDialog):
            return
        help_text = getattr(self.screen, "help_text", None)
        if callable(help_text):
            title, text, keys = help_text()
        else:
            title, text, keys = "kfwizard", "", []
        if self.demo:
            text = f"{text}\n\n{DEMO_HELP} {demo_commands_help()}"
        text = f"{text}\n\n{self.sessions_explanation()}"
        self.push_screen(HelpDialog(title, text, keys))

    def sessions_explanation(self) -> str:
        from kfwizard.widgets.paths_text import display_path

        return (
            "**Sessions.** Every choice and every step's outcome is saved as it happens in "
            f"`{display_path(self.store.folder)}`, with the full log in "
            f"`{display_path(paths.log_dir())}`. Quit at any time; `kfwizard resume` or the "
            "session picker takes you back to where you stopped."
        )

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.theme == DARK_THEME else DARK_THEME
        self.set_pref("theme", self.theme)

    def demo_banner(self) -> str:
        return DEMO_BANNER

    def first_run_notice(self) -> Notice | None:
        """The "where sessions live" notice, offered once per run until dismissed."""
        if self.prefs.get("intro_seen") or self._intro_offered:
            return None
        self._intro_offered = True
        from kfwizard.widgets.notice import Notice
        from kfwizard.widgets.paths_text import display_path

        text = Content.from_markup(
            "Every choice and result is saved as a [b]session[/b] in $folder; "
            'quit any time and "kfwizard resume" picks up where you stopped.',
            folder=display_path(self.store.folder),
        )
        return Notice(text, title="New here?", id="first-run")

    def mark_intro_seen(self) -> None:
        self.set_pref("intro_seen", True)

    def set_pref(self, key: str, value: Any) -> None:
        """Remember a display choice for the next start (``ui.json``)."""
        self.prefs[key] = value
        self._save_prefs()

    def _prefs_path(self) -> Path:
        return paths.config_dir() / "ui.json"

    def _load_prefs(self) -> dict[str, Any]:
        try:
            data = json.loads(self._prefs_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save_prefs(self) -> None:
        from kfwizard.session import atomic_write_text

        try:
            atomic_write_text(self._prefs_path(), json.dumps(self.prefs, indent=2) + "\n")
        except OSError:
            pass  # preferences are a comfort, never a reason to fail

    # -- command palette -----------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from kfwizard.screens.base import WizardScreen

        if isinstance(screen, WizardScreen):
            yield SystemCommand("Next", "Run this step, or go to the next one", screen.action_next)
            yield SystemCommand("Back", "Go to the previous step", screen.action_back)
            yield SystemCommand(
                "Copy commands",
                "Copy the equivalent gcloud/kubectl commands",
                screen.action_copy_commands,
            )
            yield SystemCommand("Save log", "Save the log pane to a file", screen.action_save_log)
            yield SystemCommand(
                "Wrap log lines",
                "Wrap long log lines, or show them whole with a sideways scrollbar (w)",
                screen.action_toggle_log_wrap,
            )
            if screen.running:
                yield SystemCommand("Cancel run", "Stop the running step", screen.action_cancel_run)
        from kfwizard.screens.sessions import SessionsScreen

        if isinstance(screen, SessionsScreen):
            yield SystemCommand("New session", "Start a new install", screen.action_new)
            yield SystemCommand(
                "Resume session", "Resume the highlighted session", screen.action_resume
            )
            yield SystemCommand(
                "Delete session",
                "Forget the highlighted session (asks first)",
                screen.action_delete,
            )
        else:
            yield SystemCommand(
                "Open sessions", "List, resume or delete sessions", self.action_open_sessions
            )
        if self.session is not None:
            yield SystemCommand(
                "Resume session",
                f"Go to where this session stopped "
                f"({PHASE_TITLES[self.resume_phase(self.session)]})",
                lambda: self.action_goto(self.resume_phase(self.session)) if self.session else None,
            )
            yield SystemCommand(
                "Teardown", "Preview and delete what this session created", self.action_teardown
            )
        yield SystemCommand(
            "Toggle theme", "Switch between light and dark", self.action_toggle_theme
        )
        yield SystemCommand("Help", "What happens on this screen and why", self.action_help)
        yield from super().get_system_commands(screen)

    def action_teardown(self) -> None:
        """The teardown dialog, over whichever screen is showing (``t`` on Verify, the
        palette anywhere). Only a yes moves to Verify, whose log the teardown runs in:
        moving there first left a user who cancelled on a step they had never reached,
        where Next ran the whole plan past the Cluster and Mode screens."""
        session = self.session
        if session is None or self.refused_while_running():
            return
        from kfwizard.dialogs.teardown import (
            TeardownDialog,
            nothing_to_tear_down,
            nothing_to_tear_down_text,
        )

        if nothing_to_tear_down(session):
            self.notify(nothing_to_tear_down_text(session), title="Nothing to tear down")
            return

        def answered(choice: dict[str, Any] | None) -> None:
            if not choice or self.session is not session:
                return
            args = (bool(choice.get("delete_cluster")), choice.get("confirm_name"))
            if getattr(self.screen, "PHASE", None) != "verify":
                self.flush_save()
                self.goto("verify")
            self.call_after_refresh(self._teardown_on_verify, *args)

        self.push_screen(TeardownDialog(session), answered)

    def _teardown_on_verify(self, delete_cluster: bool, confirm_name: str | None) -> None:
        start = getattr(self.screen, "start_teardown", None)
        if callable(start):
            start(delete_cluster, confirm_name)
