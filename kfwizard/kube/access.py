"""How a person opens what was installed, per deployment mode: the Service a local
port-forward targets, the ``kubectl`` line that does the same, and the login after it.

Standalone KFP is opened by a forward to its UI (``ml-pipeline-ui``), which has no
login. The full platform is opened through its Istio ingress gateway, which sends every
request through oauth2-proxy and the Dex login (kubeflow-manifests.md §9): a forward to
ml-pipeline-ui there would skip the login that decides whose namespace a request is
for, and multi-user KFP refuses such requests. The Verify screen's ``p``, the headless
``kfwizard run --port-forward`` and the verify step's words all take their target from
:func:`forward_target`, so what is said is what is forwarded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEX_USER = "user@example.com"
DEX_DEFAULT_PASSWORD = "12341234"
"""The full platform's default login (the release's README, kubeflow-manifests.md §9):
public, which is why it may be named, and why the wizard says to change it."""


@dataclass(frozen=True)
class ForwardTarget:
    """A Service to forward a local port to, and how a person uses the forward."""

    namespace: str
    service: str
    service_port: int
    title: str
    """What the forwarded URL opens, as a label: "Kubeflow Pipelines UI"."""
    command: str
    """The ``kubectl port-forward`` that does the same from a terminal."""
    login: str = ""
    """What to do once it is open ("" when there is no login)."""

    def line(self, url: str) -> str:
        """The URL with what it is and the login: the headless run prints this."""
        return f"{self.title}: {url}" + (f" ({self.login})" if self.login else "")


KFP_UI = ForwardTarget(
    namespace="kubeflow",
    service="ml-pipeline-ui",
    service_port=80,
    title="Kubeflow Pipelines UI",
    command="kubectl port-forward -n kubeflow svc/ml-pipeline-ui 8080:80",
)
GATEWAY = ForwardTarget(
    namespace="istio-system",
    service="istio-ingressgateway",
    service_port=80,
    title="Kubeflow dashboard, through the Istio gateway",
    command="kubectl port-forward svc/istio-ingressgateway -n istio-system 8080:80",
    login=f"log in with Dex as {DEX_USER}, password {DEX_DEFAULT_PASSWORD} unless changed",
)


def forward_target(mode: str | None) -> ForwardTarget:
    """The gateway for the full platform (``kubeflow``), the KFP UI for the KFP modes."""
    return GATEWAY if mode == "kubeflow" else KFP_UI


def session_mode(session: Any) -> str:
    """The mode a session installs: the manifests it read, else its selections (the
    order the install steps' ``deployment_facts`` uses); standalone when neither says."""
    read = (session.outputs.get("manifests") or {}).get("mode")
    chosen = (session.selections.get("deployment") or {}).get("mode")
    return str(read or chosen or "kfp-standalone")
