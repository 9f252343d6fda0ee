"""Test hooks for the kfwizard processes that tests/reliability starts (never shipped).

Python imports ``sitecustomize`` at start-up from the first folder on ``sys.path`` that
has one; the reliability tests copy this file into a temp folder and put that folder on
the child's ``PYTHONPATH``. Nothing happens unless one of these variables is set:

``KFWIZARD_TEST_AUDIT_LOG=FILE``
    Install the same loopback-only audit hook as ``tests/conftest.py``: a connect or a
    name lookup for anything but loopback is appended to FILE and raises.

``KFWIZARD_TEST_KILL=JSON``
    SIGKILL this process at a chosen point, so a kill lands exactly where a test wants:

    ``{"on": "save", "path": "steps.cluster.state", "value": "running", "when": "after"}``
        at the first session save whose JSON has that value at that dotted path (list
        items by index; ``"value": null`` means any value);
        ``when`` is ``before`` (the save never starts: the previous copy is on disk),
        ``torn`` (half of the new text is in a temp file next to it, as a kill during the
        write leaves it) or ``after`` (the new copy is in place).
    ``{"on": "log", "pattern": "REGEX", "delay": 0.0}``
        when a step logs a line matching REGEX (``re.search``): at once, or ``delay``
        seconds later from a timer thread.
    ``{"on": "progress", "step": "apply", "at_least": 50}``
        when step ``step`` reports progress ``done >= at_least`` (e.g. 50 of 88 objects
        applied, 3 of 14 workloads ready).

``KFWIZARD_TEST_STEP_LOG=JSON``
    ``{"step": "preflight", "lines": [...], "secrets": [...], "fail": "cause"}``: register
    ``secrets`` with :func:`kfwizard.engine.redact.register_secret` at start-up (as the
    kfp-gcp password prompt would), and make step ``step`` log ``lines`` before it runs
    (and fail with ``fail`` as a :class:`StepFailed` cause, if given).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import signal
import socket
import sys
import threading
from typing import Any


def _die() -> None:
    try:
        sys.stdout.flush()
    except Exception:
        pass
    os.kill(os.getpid(), signal.SIGKILL)


# -- loopback-only audit hook -------------------------------------------------------------


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return True  # AF_UNIX paths and similar
    if host in ("localhost", "", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _install_audit(log_path: str) -> None:
    def record(what: str) -> None:
        try:
            with open(log_path, "a", encoding="utf-8") as handle:
                handle.write(f"{os.getpid()} {what}\n")
        except OSError:
            pass

    def audit(event: str, args: tuple) -> None:
        if event == "socket.connect":
            sock, address = args[0], args[1]
            inet = getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6)
            if inet and isinstance(address, tuple) and not _is_loopback(address[0]):
                record(f"connect {address!r}")
                raise OSError(f"kfwizard test guard: connect to {address!r} (only loopback)")
        elif event == "socket.getaddrinfo":
            host = args[0]
            if isinstance(host, bytes):
                host = host.decode(errors="replace")
            if host is not None and not _is_loopback(host):
                record(f"resolve {host!r}")
                raise OSError(f"kfwizard test guard: resolve {host!r} (only loopback)")

    sys.addaudithook(audit)


# -- kill points ----------------------------------------------------------------------------


def _lookup(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return None
    return data


def _install_save_kill(spec: dict[str, Any]) -> None:
    import tempfile
    from pathlib import Path

    import kfwizard.session as session_module

    original = session_module.atomic_write_text
    path_spec, wanted, when = spec["path"], spec.get("value"), spec.get("when", "after")

    def wrapper(path: Path, text: str, mode: int = 0o600) -> None:
        if path.suffix == ".json" and path.parent.name == "sessions":
            try:
                value = _lookup(json.loads(text), path_spec)
            except ValueError:
                value = None
            if (value is not None) if wanted is None else (value == wanted):
                if when == "before":
                    _die()
                if when == "torn":
                    fd, _ = tempfile.mkstemp(
                        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
                    )
                    os.write(fd, text[: len(text) // 2].encode("utf-8"))
                    _die()
                original(path, text, mode)
                _die()
        original(path, text, mode)

    session_module.atomic_write_text = wrapper


def _install_log_kill(spec: dict[str, Any]) -> None:
    from kfwizard.engine.step import StepContext

    pattern = re.compile(spec["pattern"])
    delay = float(spec.get("delay") or 0.0)
    original = StepContext.log
    fired = threading.Event()

    def log(self: Any, *lines: str) -> None:
        original(self, *lines)
        if fired.is_set():
            return
        if any(pattern.search(str(line)) for line in lines):
            fired.set()
            if delay <= 0:
                _die()
            timer = threading.Timer(delay, _die)
            timer.daemon = True
            timer.start()

    StepContext.log = log  # type: ignore[method-assign]


def _install_progress_kill(spec: dict[str, Any]) -> None:
    from kfwizard.engine.step import StepContext

    original = StepContext.progress
    step, at_least = spec["step"], int(spec["at_least"])

    def progress(self: Any, done: int, total: int, message: str = "") -> None:
        original(self, done, total, message)
        if self.step_id == step and done >= at_least:
            _die()

    StepContext.progress = progress  # type: ignore[method-assign]


def _install_step_log(spec: dict[str, Any]) -> None:
    from kfwizard.engine import redact
    from kfwizard.engine.errors import StepFailed
    from kfwizard.engine.runner import Runner

    for value in spec.get("secrets") or []:
        redact.register_secret(value)
    original = Runner._run_step

    def run_step(self: Any, step: Any) -> Any:
        if step.id == spec["step"] and not getattr(step, "_kfw_test_wrapped", False):
            apply = step.apply

            def noisy_apply(ctx: Any) -> None:
                ctx.log(*spec.get("lines") or [])
                ctx.progress(0, 1, " ".join(spec.get("lines") or [])[:200])
                if spec.get("fail"):
                    raise StepFailed(spec["fail"], "this failure was planted by a test")
                apply(ctx)

            step.apply = noisy_apply
            step._kfw_test_wrapped = True
        return original(self, step)

    Runner._run_step = run_step  # type: ignore[method-assign]


def _main() -> None:
    audit_log = os.environ.get("KFWIZARD_TEST_AUDIT_LOG")
    if audit_log:
        _install_audit(audit_log)
    kill = os.environ.get("KFWIZARD_TEST_KILL")
    if kill:
        spec = json.loads(kill)
        if spec["on"] == "save":
            _install_save_kill(spec)
        elif spec["on"] == "log":
            _install_log_kill(spec)
        elif spec["on"] == "progress":
            _install_progress_kill(spec)
        else:
            raise SystemExit(f"KFWIZARD_TEST_KILL: unknown trigger {spec['on']!r}")
    step_log = os.environ.get("KFWIZARD_TEST_STEP_LOG")
    if step_log:
        _install_step_log(json.loads(step_log))


_main()
