"""The public-URL sentence of the verify step, as the user reads it."""

from __future__ import annotations

from kfwizard.engine.steps.verify import has_inverse_proxy

PROXY = {"kind": "Deployment", "metadata": {"name": "proxy-agent"}}


def test_an_env_without_a_proxy_says_which_envs_have_one() -> None:
    facts = {"mode": "kfp-standalone", "env": "platform-agnostic", "version": "2.17.0"}
    assert has_inverse_proxy(facts, []) == (
        False,
        "env platform-agnostic of KFP 2.17.0 has no inverse proxy (only env dev and gcp do).",
    )
    assert has_inverse_proxy(facts, [PROXY]) == (True, "")


def test_env_gcp_manifests_without_proxy_agent_do_not_contradict_themselves() -> None:
    """Local env/gcp manifests without proxy-agent read "env gcp … has no inverse proxy
    (only env dev and gcp do)"."""
    facts = {"mode": "kfp-gcp", "env": "gcp", "version": "2.14.4"}
    present, why = has_inverse_proxy(facts, [])
    assert not present
    assert why == (
        "these env gcp manifests of KFP 2.14.4 have no proxy-agent, so no inverse proxy "
        "(upstream's env dev and gcp do)."
    )
