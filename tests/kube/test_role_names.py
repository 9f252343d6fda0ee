"""Workloads' friendly names in messages: one pair of brackets, never one inside another."""

from __future__ import annotations

from kfwizard.kube.names import ROLES, role


def test_a_role_has_no_brackets_inside_its_brackets() -> None:
    """The Verify summary read "proxy-agent (the inverse-proxy agent (public URL)) can't
    create pods"."""
    assert role("proxy-agent") == "proxy-agent (the agent behind the public URL)"
    for name in ROLES:
        named = role(name)
        assert named.count("(") == named.count(")") == 1, named
        assert named.endswith(")"), named
    assert role("mysql") == "mysql (MySQL, KFP's database)"
    assert role("some-workload") == "some-workload"
