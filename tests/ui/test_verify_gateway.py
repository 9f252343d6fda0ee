"""The Verify screen of a full-platform install: ``p`` opens the Istio gateway (the way
in, behind the Dex login), not ml-pipeline-ui, and the screen says so: the summary's UI
row, the notice, the equivalent commands and the help. Against the Kubernetes emulator
serving the gateway, oauth2-proxy, Dex and the dashboard of the 26.03 render."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kfwizard.screens.verify import VerifyScreen
from kfwizard.session import SessionStore
from tests.kube.conftest import FIXTURES, clients_for, emulator, new_session, write_kubeconfig
from tests.kube.kubeflow_front import Browser, install_front
from tests.ui.helpers import PlanApp, wait_for, wait_for_screen

LOGIN = "log in with Dex as user@example.com, password 12341234 unless changed"


def summary_rows(screen: VerifyScreen) -> dict[str, str]:
    grid = screen.summary_content()
    keys = [str(cell) for cell in grid.columns[0]._cells]
    values = [str(cell) for cell in grid.columns[1]._cells]
    return dict(zip(keys, values, strict=True))


async def test_p_opens_the_gateway_of_the_full_platform_and_names_its_login(
    store: SessionStore, tmp_path: Path
) -> None:
    if not FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found ({FIXTURES})")
    server = emulator()
    server.start()
    try:
        kubeconfig = write_kubeconfig(server, tmp_path)
        clients = clients_for(kubeconfig)
        try:
            install_front(clients, FIXTURES)
        finally:
            clients.close()
        session = new_session(store, kubeconfig, "26.03", "example", mode="kubeflow")
        for step in ("preflight", "apply", "rollout", "verify"):
            session.record(step, "done")
        session.status = "done"
        store.save(session)

        app = PlanApp({}, store=store, session_id=session.id)
        async with app.run_test(size=(120, 40)) as pilot:
            verify = await wait_for_screen(pilot, VerifyScreen)
            assert summary_rows(verify)["UI"] == (
                "press p to open a port-forward to the Istio gateway (on 127.0.0.1 only), "
                "then log in with Dex"
            )
            gateway = "kubectl port-forward svc/istio-ingressgateway -n istio-system 8080:80"
            assert gateway in verify.static_commands()
            assert not any("ml-pipeline-ui" in c for c in verify.static_commands())
            _, help_text, _ = verify.help_text()
            assert f"`{gateway}`; then {LOGIN}." in help_text
            assert "svc/ml-pipeline-ui" not in help_text

            await pilot.press("p")
            await wait_for(
                pilot, lambda: verify.forward_url() is not None, timeout=30, description="forward"
            )
            forward = verify.forward
            url = verify.forward_url()
            assert (forward.namespace, forward.service) == ("istio-system", "istio-ingressgateway")
            assert forward.pod.startswith("istio-ingressgateway-")
            assert summary_rows(verify)["UI"] == (
                f"{url} (the Kubeflow dashboard through the Istio gateway: {LOGIN})"
            )
            notes = [n.message for n in app._notifications]
            assert f"The Kubeflow dashboard is at {url} (this machine only): {LOGIN}." in notes

            at, status, page = await asyncio.to_thread(Browser().get, url + "/")
            assert at.startswith(url + "/dex/auth/local/login?"), at
            assert status == 200 and "Log in to Your Account" in page

            await pilot.press("p")
            await wait_for(pilot, lambda: forward._stop.is_set(), description="forward closed")
            assert verify.forward is None
    finally:
        server.stop()
