"""``kfwizard emulator``: run the loopback emulators in the foreground.

Prints the ``export`` lines that point gcloud, kubectl and kfwizard at them, then runs
until Ctrl+C (exit 130) or SIGTERM (exit 0); both stop the emulators cleanly and, with
``--state-dir``, save their state for next time. ``--ready-file`` gets the same export
lines (written atomically) once everything listens, for scripts and tests to wait on.

With ``--state-dir`` the command holds that folder's lock while it runs, the one
``--demo`` holds on its own state: a second process on the same folder (another
``kfwizard emulator``, or a demo when the folder is the demo's) would save over this
one's clusters, so it is refused, exit 1, naming the holder's pid.

Importing this module is cheap: the emulators (and the Google client libraries they use)
are imported only when the command runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kfwizard.session import SessionLock

_PROJECT_RE = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
_CLUSTER_RE = re.compile(r"^[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?$")


class _Usage(Exception):
    """A bad flag value: the message names the flag (exit 2)."""


def build_parser() -> argparse.ArgumentParser:
    from kfwizard.emulator.faults import NAMED_FAULTS

    # argparse %-formats help texts: "10%" must become "10%%"
    faults_help = "; ".join(f"{name}: {text}" for name, text in NAMED_FAULTS.items())
    faults_help = faults_help.replace("%", "%%")
    parser = argparse.ArgumentParser(
        prog="kfwizard emulator",
        description=(
            "Run loopback emulators of GKE, Service Usage and the Kubernetes API in the "
            "foreground and print the environment that points gcloud, kubectl and "
            "kfwizard at them. Nothing leaves this machine."
        ),
    )
    parser.add_argument("--project", default="kfwizard-demo", help="the emulated project id")
    parser.add_argument(
        "--cluster",
        action="append",
        default=[],
        metavar="NAME",
        help="pre-create a RUNNING cluster in us-central1-a (3 x n1-standard-2); repeatable",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="time scale of simulated delays: 0 = instant, 1 = demo pace (default 1)",
    )
    parser.add_argument("--state-dir", type=Path, help="save state here on exit, restore on start")
    parser.add_argument("--kubeconfig", type=Path, help="kubeconfig file to write (default: own)")
    parser.add_argument("--ready-file", type=Path, help="write the export lines here when ready")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of calls failing")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share of calls dropped")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="NAME", help=f"named fault ({faults_help})"
    )
    parser.add_argument("--faults-file", type=Path, help="YAML mapping of fault settings")
    parser.add_argument("--seed", type=int, help="random seed for error/drop decisions")
    return parser


def _faults(args: argparse.Namespace) -> Any:
    from kfwizard.emulator.faults import Faults

    if args.faults_file is not None:
        try:
            faults = Faults.from_file(args.faults_file)
        except FileNotFoundError:
            raise _Usage(f"--faults-file: no such file: {args.faults_file}") from None
        except Exception as exc:
            raise _Usage(f"--faults-file: {exc}") from None
    else:
        faults = Faults()
    for name in args.fault:
        try:
            faults.apply_named(name)
        except ValueError as exc:
            raise _Usage(f"--fault: {exc}") from None
    for flag, value in (("--error-rate", args.error_rate), ("--drop-rate", args.drop_rate)):
        if not 0.0 <= value <= 1.0:
            raise _Usage(f"{flag} must be between 0 and 1 (got {value})")
    if args.error_rate:
        faults.update(error_rate=args.error_rate)
    if args.drop_rate:
        faults.update(drop_rate=args.drop_rate)
    if args.seed is not None:
        faults = dataclasses.replace(faults, seed=args.seed)  # reseeds its random source
    return faults


def _check(args: argparse.Namespace) -> None:
    if args.speed < 0:
        raise _Usage(f"--speed must be 0 or more (got {args.speed})")
    if not _PROJECT_RE.match(args.project):
        raise _Usage(
            f"--project {args.project!r}: a project id is 6-30 characters, lowercase "
            "letters, digits and hyphens, starting with a letter"
        )
    for name in args.cluster:
        if not _CLUSTER_RE.match(name):
            raise _Usage(
                f"--cluster {name!r}: a cluster name is 1-40 characters, lowercase letters, "
                "digits and hyphens, starting with a letter and not ending with a hyphen"
            )
    for flag, path in (("--state-dir", args.state_dir), ("--kubeconfig", args.kubeconfig)):
        if path is not None and path.exists() and (flag == "--state-dir") != path.is_dir():
            kind = "a folder" if flag == "--state-dir" else "a file"
            raise _Usage(f"{flag} {path}: must be {kind}")


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 with the flag named on bad syntax
    try:
        _check(args)
        faults = _faults(args)
    except _Usage as exc:
        parser.print_usage(sys.stderr)
        print(f"kfwizard emulator: error: {exc}", file=sys.stderr)
        return 2
    return _run(args, faults)


class _Refused(Exception):
    """The state folder is another process's (or cannot be locked): exit 1, nothing
    started, nothing saved."""


def _hold_state(state_dir: Path | None) -> SessionLock | None:
    """The state folder's lock, held (None without ``--state-dir``); ``_Refused``."""
    from kfwizard.emulator import state

    if state_dir is None:
        return None
    try:
        return state.hold(state_dir)
    except state.StateBusy as busy:
        who = f" (pid {busy.owner})" if busy.owner else ""
        raise _Refused(
            f"another kfwizard process{who} is running emulators on the state in "
            f"{state_dir}; two at once would overwrite each other's clusters, so this one "
            "started nothing. Stop that process, or pass another --state-dir."
        ) from None
    except state.StateUnlockable as exc:
        raise _Refused(
            f"cannot lock the state in {state_dir} ({exc.reason}); this one started "
            "nothing. Make that folder writable, or pass another --state-dir."
        ) from None


def _run(args: argparse.Namespace, faults: Any) -> int:
    try:
        lock = _hold_state(args.state_dir)
    except _Refused as exc:
        print(f"kfwizard emulator: error: {exc}", file=sys.stderr)
        return 1
    try:
        return _serve(args, faults)
    finally:
        if lock is not None:
            lock.release()  # after the stack's last save


def _serve(args: argparse.Namespace, faults: Any) -> int:
    from kfwizard.emulator.kubeconfig import atomic_write
    from kfwizard.emulator.stack import EmulatorStack

    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        received.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    stack = EmulatorStack(
        speed=args.speed,
        faults=faults,
        project=args.project,
        clusters=args.cluster,
        state_dir=args.state_dir,
        kubeconfig_path=args.kubeconfig,
    )
    try:
        try:
            stack.start()
        except OSError as exc:
            print(f"kfwizard emulator: cannot start: {exc}", file=sys.stderr)
            return 1
        lines = stack.export_lines()
        text = "\n".join(lines) + "\n"
        sys.stdout.write(text)
        sys.stdout.write("Emulators running; Ctrl+C stops them.\n")
        sys.stdout.flush()
        if args.ready_file is not None:
            atomic_write(args.ready_file, text)
        while not stop.wait(0.2):
            pass
    finally:
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 130 if received and received[0] == signal.SIGINT else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
