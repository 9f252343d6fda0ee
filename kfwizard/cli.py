"""The command line: the wizard, headless runs, sessions, teardown, bundles, emulators.

``--version``, ``--where`` and ``sessions`` must answer instantly, so this module imports
nothing heavy at the top: Textual, google and kubernetes load only in the commands that
need them. Exit codes: 0 done, 1 failed, 2 bad input, 130 interrupted.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

from kfwizard import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:  # argparse, typing and pathlib cost ms that `sessions` cannot spare
    import argparse
    from collections.abc import Sequence
    from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

COMMANDS = ("resume", "sessions", "run", "teardown", "bundle", "emulator")


def _parser() -> argparse.ArgumentParser:
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(
        prog="kfwizard",
        description=(
            "Install and verify Kubeflow Pipelines on GKE, step by step; resume where it stopped."
        ),
        epilog="Run `kfwizard --demo` to try it against built-in emulators (no account needed).",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--where", action="store_true", help="print where sessions, logs and caches are kept"
    )
    parser.add_argument(
        "--demo", action="store_true", help="run against built-in loopback emulators"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="with --demo: rehearse a failure (see `kfwizard emulator --help`)",
    )
    parser.add_argument(
        "--manifests",
        metavar="PATH",
        help="with `run --demo` or a demo session: install these manifests instead",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    resume = sub.add_parser("resume", help="resume a session in the wizard")
    resume.add_argument(
        "session_id",
        nargs="?",
        metavar="ID",
        help="a session's id, name or the start of its id (without: the session list)",
    )
    resume.add_argument("--demo", action="store_true", dest="sub_demo", help=argparse.SUPPRESS)

    sessions = sub.add_parser("sessions", help="list sessions: id, name, step, status, updated")
    sessions.add_argument("--json", action="store_true", help="machine-readable output")

    run = sub.add_parser("run", help="run the plan headless (plain log lines)")
    source = run.add_mutually_exclusive_group(required=True)
    source.add_argument("--answers", type=Path, metavar="FILE", help="an answers file (YAML)")
    source.add_argument(
        "--session", metavar="ID", help="resume this session headless (id, name or id prefix)"
    )
    run.add_argument(
        "--until",
        metavar="STEP",
        help="stop after this step: project, cluster, mode, install, verify",
    )
    run.add_argument(
        "--demo", action="store_true", dest="sub_demo", help="run against the built-in emulators"
    )
    run.add_argument(
        "--fault",
        action="append",
        default=[],
        dest="sub_fault",
        metavar="NAME",
        help="with --demo: rehearse a failure",
    )
    run.add_argument(
        "--manifests",
        dest="sub_manifests",
        metavar="PATH",
        help="with --demo or a demo session: install these manifests instead of the demo's",
    )
    run.add_argument(
        "--yes", action="store_true", help="do not ask before creating billable resources"
    )
    run.add_argument(
        "--new", action="store_true", help="always start a new session for these answers"
    )
    run.add_argument(
        "--port-forward",
        action="store_true",
        help="after verifying, forward the UI to 127.0.0.1:8080 until Ctrl+C",
    )
    run.add_argument("--speed", type=float, default=None, help=argparse.SUPPRESS)

    teardown = sub.add_parser("teardown", help="remove what a session installed (and its cluster)")
    teardown.add_argument(
        "--session", required=True, metavar="ID", help="the session: id, name or id prefix"
    )
    teardown.add_argument(
        "--delete-cluster",
        action="store_true",
        help="also delete the GKE clusters the session created (one it left for another, too)",
    )
    teardown.add_argument(
        "--confirm-name",
        metavar="NAME",
        help="delete a cluster the session adopted: type its name to confirm",
    )
    teardown.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    bundle = sub.add_parser("bundle", help="write a support bundle (redacted) for a session")
    bundle.add_argument(
        "--session", required=True, metavar="ID", help="the session: id, name or id prefix"
    )
    bundle.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help=(
            "the .tar.gz file to write, or an existing folder to write it into under its "
            "default name; the folder must exist (default: the data folder's bundles/)"
        ),
    )

    sub.add_parser("emulator", help="run the loopback emulators in the foreground", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:  # answered before argparse is even imported
        print(f"kfwizard {__version__}")
        return EXIT_OK
    if args_list and args_list[0] == "emulator":
        from kfwizard.emulator.cli import main as emulator_main

        return emulator_main(args_list[1:])
    args: argparse.Namespace | SimpleNamespace
    if args_list in (["sessions"], ["sessions", "--json"]):  # the instant listing: no argparse
        args = SimpleNamespace(command="sessions", json=len(args_list) == 2)
    else:
        args = _parser().parse_args(args_list)
        if args.version:
            print(f"kfwizard {__version__}")
            return EXIT_OK
        if args.where:
            return _where()
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        print("\nInterrupted. The session is saved; resume it later.", file=sys.stderr)
        return EXIT_INTERRUPTED


def _dispatch(args: argparse.Namespace | SimpleNamespace) -> int:
    try:
        if args.command == "sessions" and not getattr(args, "fault", None):
            return _sessions(as_json=args.json)  # before the refusals' imports: it is quick
        _refuse_flags_that_do_nothing(args)
        _resolve_session_refs(args)
        if args.command == "run":
            from kfwizard.headless import run_headless

            return run_headless(
                answers=args.answers,
                session_id=args.session,
                until=args.until,
                demo=args.demo or args.sub_demo,
                faults=[*args.fault, *args.sub_fault],
                yes=args.yes,
                new=args.new,
                port_forward=args.port_forward,
                speed=args.speed,
                manifests=args.manifests or args.sub_manifests,
            )
        if args.command == "teardown":
            from kfwizard.headless import teardown_headless

            return teardown_headless(
                args.session,
                delete_cluster=args.delete_cluster,
                confirm_name=args.confirm_name,
                yes=args.yes,
            )
        if args.command == "bundle":
            from kfwizard.bundle import write_bundle_cli

            return write_bundle_cli(args.session, args.output, faults=args.fault)
        session_id = args.session_id if args.command == "resume" else None
        demo = args.demo or getattr(args, "sub_demo", False)
        _refuse_without_a_terminal(args.command == "resume", session_id, demo=demo)
        return _wizard(session_id, demo=demo, faults=args.fault, manifests=args.manifests)
    except Exception as exc:  # the error classes load only on failure: `sessions` is quick
        from kfwizard.engine.errors import KfwizardError
        from kfwizard.session import SessionError

        if isinstance(exc, KfwizardError):
            print(f"kfwizard: {exc.message()}", file=sys.stderr)
            return exc.exit_code
        if isinstance(exc, SessionError):
            print(f"kfwizard: {exc}", file=sys.stderr)
            return exc.exit_code
        raise


def _refuse_flags_that_do_nothing(args: argparse.Namespace | SimpleNamespace) -> None:
    """A flag that this combination ignores is refused (exit 2), not dropped: whoever
    typed ``--confirm-name`` without ``--delete-cluster`` expects the cluster to go."""
    from kfwizard.engine.errors import BadInput

    if args.command in ("teardown", "sessions") and getattr(args, "fault", None):
        raise BadInput(
            "--fault",
            f"rehearses a failure in the demo's install; {args.command} does not take one",
            ", ".join(args.fault),
            action="leave out --fault (a run or the wizard with --demo rehearses it)",
        )
    if args.command == "teardown" and args.confirm_name and not args.delete_cluster:
        raise BadInput(
            "--confirm-name",
            "only means something with --delete-cluster",
            args.confirm_name,
            action="add --delete-cluster to delete the cluster too, or leave --confirm-name out",
        )
    if args.command == "run" and args.new and args.session:
        raise BadInput(
            "--new",
            "starts a new session, so it cannot go with --session",
            action="leave out --session to start a new one, or --new to carry on that session",
        )
    _refuse_manifests_flag(args)
    if args.command == "run" and args.port_forward and args.until:
        from kfwizard.engine.phases import PHASES, normalise_phase

        try:
            last = normalise_phase(args.until) == PHASES[-1]
        except ValueError:
            return  # the run names the bad --until itself
        if not last:
            raise BadInput(
                "--port-forward",
                f"forwards the UI once Verify has checked it, and --until {args.until} "
                "stops before Verify",
                action=f"leave out --until {args.until}, or --port-forward",
            )


def _refuse_manifests_flag(args: argparse.Namespace | SimpleNamespace) -> None:
    """``--manifests`` replaces the demo's built-in manifests in ``run --demo``, as its
    help says; anywhere else it was dropped without a word (a real install names its
    manifests in the answers file, and the wizard's demo installs its own).

    ``run --session`` goes by the session's kind, as it does for ``--demo``: a demo
    session takes the flag without ``--demo``, and the run refuses it for a real one
    once it has read which the session is."""
    from kfwizard.engine.errors import BadInput

    if not (getattr(args, "manifests", None) or getattr(args, "sub_manifests", None)):
        return
    demo = args.demo or getattr(args, "sub_demo", False)
    if args.command == "run" and args.session and not demo:
        return
    if not demo:
        raise BadInput(
            "--manifests",
            "only works with --demo (it replaces the demo's built-in manifests)",
            action="for a real install, set deployment.manifests in the answers file",
        )
    if args.command != "run":
        raise BadInput(
            "--manifests",
            "only works with `run --demo`; the wizard's demo installs its built-in manifests",
            action="leave out --manifests, or run headless: kfwizard --demo --manifests "
            "PATH run --answers FILE",
        )


def _resolve_session_refs(args: argparse.Namespace | SimpleNamespace) -> None:
    """Turn ``--session`` given as a name or an id prefix into the session's id.

    A ref that names no session, or several, is bad input (exit 2, naming ``--session``),
    as the contract has it for any value the user gave wrong. (``resume ID`` is resolved
    by the wizard, which says on its session list why an ID did not open.)
    """
    ref = getattr(args, "session", None)
    if ref is not None:  # `--session ''` too: bad input, not a failed run
        from kfwizard.engine.errors import BadInput
        from kfwizard.session import SessionNotFound, SessionStore, SetAside

        def told(problem: object) -> None:  # a file set aside says so, once
            if isinstance(problem, SetAside):
                print(f"note: {problem.message()}", file=sys.stderr)

        try:
            args.session = SessionStore(report=told).resolve(ref)
        except SessionNotFound as exc:
            raise BadInput("--session", str(exc)) from None


def _where() -> int:
    from kfwizard import paths

    for name, path in paths.where().items():
        print(f"{name:<9} {path}")
    return EXIT_OK


def _sessions(as_json: bool) -> int:
    import json

    from kfwizard import paths
    from kfwizard.session_list import FolderUnreadable, list_sessions

    try:
        rows, notes = list_sessions(paths.sessions_dir(), for_people=not as_json)
    except FolderUnreadable as exc:  # not "No sessions yet": they may well be there
        print(f"kfwizard: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if as_json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("No sessions yet. Start one with `kfwizard` (or `kfwizard --demo`).")
        return EXIT_OK
    headers = {"id": "ID", "name": "NAME", "step": "STEP", "status": "STATUS", "updated": "UPDATED"}
    rows = [_as_listed(row) for row in rows]
    widths = {k: max(len(headers[k]), *(len(str(r[k])) for r in rows)) for k in headers}
    print("  ".join(headers[k].ljust(widths[k]) for k in headers).rstrip())
    for row in rows:
        print("  ".join(str(row[k]).ljust(widths[k]) for k in headers).rstrip())
    return EXIT_OK


def _as_listed(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the table shows it, as the session picker does: no name is "-" (the ID
    column has the id) and times read ``2026-11-29 18:49 UTC``. (A run that ended
    before Verify reads "in progress" already: ``list_sessions(for_people=True)``; the
    Step column cannot tell, as it names where Resume goes.) ``--json`` keeps the saved
    values."""
    from kfwizard.session_list import stamp

    shown = dict(row)
    if shown["name"] == shown["id"]:
        shown["name"] = "-"
    shown["updated"] = stamp(str(shown["updated"] or ""))
    return shown


def _refuse_without_a_terminal(resume: bool, session_id: str | None, *, demo: bool) -> None:
    """Refuse the wizard (exit 2) when stdin or stdout is not a terminal, before anything
    starts. It is drawn on the terminal and driven by keys: ``kfwizard --demo </dev/null
    >out`` wrote kilobytes of escape codes, waited for keys forever and left a ``new``
    session behind. The headless command that does the same is named instead."""
    missing = []
    for name, stream in (("stdin", sys.stdin), ("stdout", sys.stdout)):
        try:
            if stream is not None and stream.isatty():
                continue
        except (OSError, ValueError):
            pass
        missing.append(name)
    if not missing:
        return
    from kfwizard.engine.errors import Refused

    if resume and session_id:
        action = f"resume it headless instead: kfwizard run --session {session_id}"
    elif resume:
        action = "list the sessions with kfwizard sessions, then resume one headless: "
        action += "kfwizard run --session ID"
    elif demo:
        action = "run the demo headless instead: kfwizard --demo run --answers examples/demo.yaml"
    else:
        action = "run headless instead: kfwizard run --answers FILE (see examples/gke.yaml)"
    which = f"{missing[0]} is not one" if len(missing) == 1 else "neither stdin nor stdout is one"
    raise Refused(
        f"The wizard needs a terminal to draw on and read keys from, and {which}.", action
    )


def _wizard(session_id: str | None, *, demo: bool, faults: list[str], manifests: str | None) -> int:
    import os

    env = dict(os.environ)
    demo_handle = None
    if demo:
        from kfwizard.demo import start_demo

        demo_handle = start_demo(faults=faults, manifests=manifests)
        env.update(demo_handle.env)
    try:
        from kfwizard.app import WizardApp

        app = WizardApp(session_id=session_id, demo=demo, env=env)
        result = app.run()
        return int(result or 0)
    finally:
        if demo_handle is not None:
            demo_handle.stop()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
