"""Service Usage emulator, driven by the official ``ServiceUsageClient`` over REST."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from google.api_core import exceptions
from google.cloud import service_usage_v1 as su

from kfwizard.emulator import catalog
from kfwizard.emulator.faults import Faults
from kfwizard.emulator.serviceusage import ServiceUsageEmulator
from tests.emulator.conftest import fast_polling, serviceusage_client

PROJECT = "kfw-demo-project"
CONTAINER = "container.googleapis.com"


@pytest.fixture
def emulator() -> Iterator[ServiceUsageEmulator]:
    emu = ServiceUsageEmulator(speed=0.0)
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def client(emulator: ServiceUsageEmulator) -> Any:
    return serviceusage_client(emulator.url)


def enabled_names(client: Any, **request: Any) -> list[str]:
    pager = client.list_services(
        request={"parent": f"projects/{PROJECT}", "filter": "state:ENABLED", **request}
    )
    return [s.config.name for s in pager]


def test_new_project_has_default_services_but_not_container(client: Any) -> None:
    names = enabled_names(client)
    assert names == sorted(catalog.DEFAULT_ENABLED)
    assert CONTAINER not in names and "compute.googleapis.com" not in names
    service = client.get_service(request={"name": f"projects/{PROJECT}/services/{CONTAINER}"})
    assert service.state == su.State.DISABLED
    assert service.config.title == "Kubernetes Engine API"
    assert service.name.startswith("projects/") and service.name.endswith(f"/services/{CONTAINER}")


def test_list_pages_and_disabled_filter(client: Any, emulator: ServiceUsageEmulator) -> None:
    pages = list(
        client.list_services(
            request={"parent": f"projects/{PROJECT}", "filter": "state:ENABLED", "page_size": 4}
        ).pages
    )
    assert len(pages) == -(-len(catalog.DEFAULT_ENABLED) // 4)
    assert all(page.next_page_token for page in pages[:-1]) and not pages[-1].next_page_token
    disabled = client.list_services(
        request={"parent": f"projects/{PROJECT}", "filter": "state:DISABLED"}
    )
    assert CONTAINER in {s.config.name for s in disabled}
    everything = client.list_services(request={"parent": f"projects/{PROJECT}"})
    assert {s.config.name for s in everything} == set(catalog.TITLES)


def test_enable_one_service_pulls_in_its_dependencies(client: Any) -> None:
    op = client.enable_service(request={"name": f"projects/{PROJECT}/services/{CONTAINER}"})
    result = op.result(polling=fast_polling())
    assert result.service.config.name == CONTAINER
    assert result.service.state == su.State.ENABLED
    names = enabled_names(client)
    assert CONTAINER in names and "compute.googleapis.com" in names


def test_batch_enable_is_a_long_running_operation() -> None:
    emu = ServiceUsageEmulator(speed=0.2)  # done 0.8 s after the call
    emu.start()
    try:
        client = serviceusage_client(emu.url)
        wanted = [CONTAINER, "iap.googleapis.com"]
        started = time.monotonic()
        op = client.batch_enable_services(
            request={"parent": f"projects/{PROJECT}", "service_ids": wanted}
        )
        assert op.operation.name.startswith("operations/")
        assert not op.operation.done
        assert CONTAINER not in enabled_names(client)
        result = op.result(polling=fast_polling())
        assert time.monotonic() - started >= 0.75
        assert isinstance(result, su.BatchEnableServicesResponse)
        assert [s.config.name for s in result.services] == wanted
        assert all(s.state == su.State.ENABLED for s in result.services)
        assert set(wanted) <= set(enabled_names(client))
        # the operation stays readable, as a resumed client would ask for it
        again = client._transport.operations_client.get_operation(op.operation.name)
        assert again.done
    finally:
        emu.stop()


def test_disable_and_dependents(client: Any, emulator: ServiceUsageEmulator) -> None:
    emulator.enable_now(PROJECT, [CONTAINER])
    with pytest.raises(exceptions.BadRequest) as info:
        client.disable_service(
            request={"name": f"projects/{PROJECT}/services/compute.googleapis.com"}
        ).result(polling=fast_polling())
    assert info.value.reason == "COMMON_SU_SERVICE_HAS_DEPENDENT_SERVICES"
    assert "depended on by the following active service(s): container.googleapis.com" in str(
        info.value.message
    )
    op = client.disable_service(request={"name": f"projects/{PROJECT}/services/{CONTAINER}"})
    assert op.result(polling=fast_polling()).service.state == su.State.DISABLED
    assert CONTAINER not in enabled_names(client)


def test_permission_denied_fault(client: Any, emulator: ServiceUsageEmulator) -> None:
    emulator.faults.update(services_permission_denied=True)
    with pytest.raises(exceptions.Forbidden) as info:
        client.batch_enable_services(
            request={"parent": f"projects/{PROJECT}", "service_ids": [CONTAINER]}
        )
    err = info.value
    assert err.code == 403
    assert "Permission denied to enable service [container.googleapis.com]" in err.message
    assert err.reason == "AUTH_PERMISSION_DENIED"
    assert err.domain == "serviceusage.googleapis.com"
    assert err.metadata["permission"] == "serviceusage.services.enable"
    emulator.faults.update(services_permission_denied=False)
    client.enable_service(request={"name": f"projects/{PROJECT}/services/{CONTAINER}"}).result(
        polling=fast_polling()
    )


def test_unknown_service(client: Any) -> None:
    with pytest.raises(exceptions.Forbidden) as info:
        client.enable_service(request={"name": f"projects/{PROJECT}/services/nope.googleapis.com"})
    assert info.value.reason == "SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED"
    assert "Not found or permission denied for service(s): nope.googleapis.com." in (
        info.value.message
    )


def test_enums_are_names_unless_ints_are_asked_for(emulator: ServiceUsageEmulator) -> None:
    """gcloud asks for plain JSON (enum names); the Python clients ask for ints."""
    url = f"{emulator.url}/v1/projects/{PROJECT}/services/storage.googleapis.com"
    with urllib.request.urlopen(url + "?alt=json") as response:
        assert json.load(response)["state"] == "ENABLED"
    with urllib.request.urlopen(url + "?%24alt=json%3Benum-encoding%3Dint") as response:
        assert json.load(response)["state"] == 2


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (429, exceptions.TooManyRequests),
        (500, exceptions.InternalServerError),
        (503, exceptions.ServiceUnavailable),
    ],
)
def test_error_rate_reaches_the_client(code: int, error: type) -> None:
    emu = ServiceUsageEmulator(faults=Faults(error_rate=1.0, error_codes=(code,)))
    emu.start()
    try:
        client = serviceusage_client(emu.url)
        with pytest.raises(error):
            client.get_service(
                request={"name": f"projects/{PROJECT}/services/{CONTAINER}"}, retry=None
            )
        response = requests.get(f"{emu.url}/v1/projects/{PROJECT}/services", timeout=5)
        assert response.status_code == code
        assert response.json()["error"]["code"] == code
        if code in (429, 503):
            assert response.headers["Retry-After"] == "0"
    finally:
        emu.stop()


def test_drop_rate_closes_the_connection() -> None:
    emu = ServiceUsageEmulator(faults=Faults(drop_rate=1.0))
    emu.start()
    try:
        client = serviceusage_client(emu.url)
        with pytest.raises(requests.exceptions.ConnectionError):
            client.get_service(
                request={"name": f"projects/{PROJECT}/services/{CONTAINER}"}, retry=None
            )
        assert emu.server.log[-1].status == 0
    finally:
        emu.stop()
