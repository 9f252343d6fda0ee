"""Network hygiene: the tests' loopback-only guard works, in this process and in children.

Why: kfwizard's tests must never reach Google, GitHub or anything else (CI has no
network, and a test that silently depends on it is a flake). tests/conftest.py installs
an audit hook in the test process; children (``kfwizard run`` subprocesses) get the same
hook from ``childhooks/sitecustomize.py``. These tests prove both hooks bite, then run a
whole headless install in a child under the hook: it completes, so it made no
non-loopback connection or lookup.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability import harness

TEST_NET = "192.0.2.1"
"""RFC 5737 TEST-NET-1: never routed, safe to aim at."""


def test_the_in_process_guard_refuses_a_non_loopback_connect_and_lookup() -> None:
    from tests.conftest import NetworkEscape

    with pytest.raises(NetworkEscape, match="only loopback"):
        socket.create_connection((TEST_NET, 80), timeout=0.2)
    with pytest.raises(NetworkEscape, match="only loopback"):
        socket.getaddrinfo("example.com", 443)


def test_the_in_process_guard_lets_loopback_through() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass


def _child(tmp: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=harness.child_env(tmp),
        check=False,
    )


def test_the_child_guard_refuses_and_records_a_non_loopback_connect(tmp_path: Path) -> None:
    done = _child(tmp_path, f"import socket; socket.create_connection(({TEST_NET!r}, 80), 0.5)")
    assert done.returncode != 0 and "kfwizard test guard" in done.stderr, done
    done = _child(tmp_path, "import socket; socket.getaddrinfo('example.com', 443)")
    assert done.returncode != 0 and "kfwizard test guard" in done.stderr, done
    violations = harness.audit_violations(tmp_path)
    assert len(violations) == 2 and TEST_NET in violations[0] and "example.com" in violations[1]


def test_a_headless_install_in_a_child_makes_no_outside_connection(tmp_path: Path) -> None:
    """``kfwizard run --demo`` (emulators in the same child, so they are guarded too)."""
    answers = harness.PROJECT_ROOT / "examples" / "demo.yaml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kfwizard",
            "run",
            "--demo",
            "--answers",
            str(answers),
            "--speed",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=harness.child_env(tmp_path),
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "==> done" in done.stdout
    assert harness.audit_violations(tmp_path) == []
