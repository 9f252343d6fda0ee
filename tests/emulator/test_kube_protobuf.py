"""kubectl's access reviews, which it posts in protobuf, answered by the emulator.

``kubectl auth can-i create clusterroles`` (a command the Install step's preflight
shows, and the README says the demo's commands work against its emulators) failed
with "couldn't get version/kind; json parse error": kubectl 1.33 sends the
SelfSubjectAccessReview as ``application/vnd.kubernetes.protobuf``.
"""

from __future__ import annotations

from typing import Any

import pytest

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.patch import parse_body
from kfwizard.emulator.kube.protobuf import MEDIA_TYPE
from kfwizard.engine.steps.install import PreflightStep
from kfwizard.session import Session

KUBECTL_CAN_I_CREATE_CLUSTERROLES = bytes.fromhex(
    "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c66537562"
    "6a65637441636365737352657669657712600a100a0012001a0022002a0032003800420012420a40"
    "0a0764656661756c7412066372656174651a19726261632e617574686f72697a6174696f6e2e6b38"
    "732e696f22002a0c636c7573746572726f6c657332003a001a08080012001a0020001a002200"
)
"""The body kubectl 1.33.1 posted for ``auth can-i create clusterroles`` (its ``-v=9``
dump), as the emulator received it."""


def test_the_body_kubectl_sends_is_read_as_the_review_it_is() -> None:
    body = parse_body(KUBECTL_CAN_I_CREATE_CLUSTERROLES, MEDIA_TYPE)
    assert body == {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "metadata": {"name": "", "generateName": "", "namespace": ""},
        "spec": {
            "resourceAttributes": {
                "namespace": "default",
                "verb": "create",
                "group": "rbac.authorization.k8s.io",
                "version": "",
                "resource": "clusterroles",
                "subresource": "",
                "name": "",
            }
        },
    }


def test_another_kind_in_protobuf_is_refused_naming_what_is_accepted() -> None:
    config_map = b"k8s\x00\n\x0f\n\x02v1\x12\tConfigMap\x12\x00"
    with pytest.raises(errors.ApiError) as refused:
        parse_body(config_map, MEDIA_TYPE)
    assert refused.value.code == 415 and refused.value.reason == "UnsupportedMediaType"
    assert "not ConfigMap (v1)" in refused.value.message
    assert "accepted media types include: application/json" in refused.value.message


@pytest.mark.parametrize(
    "raw",
    [b"not protobuf", b"k8s\x00\n\xff", b"k8s\x00\x0a\x02\x0a\x05"],
    ids=["no-magic", "truncated", "past-the-end"],
)
def test_a_broken_protobuf_body_is_a_bad_request(raw: bytes) -> None:
    with pytest.raises(errors.ApiError) as refused:
        parse_body(raw, f"{MEDIA_TYPE}; charset=binary")
    assert refused.value.code == 400


@pytest.mark.needs_kubectl
def test_the_preflight_commands_work_with_the_real_kubectl(kube_kubectl: Any) -> None:
    shown = PreflightStep().commands(Session.new(name="x"))
    can_i = [c.split()[1:] for c in shown if c.startswith("kubectl auth can-i")]
    assert len(can_i) == 2, shown
    for args in can_i:
        done = kube_kubectl(*args, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "yes", done.stdout + done.stderr


@pytest.mark.needs_kubectl
def test_other_reviews_kubectl_posts_in_protobuf(kube_kubectl: Any) -> None:
    assert kube_kubectl("auth", "can-i", "get", "/healthz").stdout.strip() == "yes"
    assert kube_kubectl("auth", "can-i", "create", "pods", "--as", "bob").stdout.strip() == "yes"
    listed = kube_kubectl("auth", "can-i", "--list").stdout
    assert "*.*" in listed, listed
    whoami = kube_kubectl("auth", "whoami").stdout
    assert "emulator-admin@kfwizard.local" in whoami, whoami
