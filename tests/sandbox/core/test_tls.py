"""The sandbox's TLS listener: a certificate made at start that clients verify against the
CA file the sandbox hands out, secure services on it, and root path claims."""

from __future__ import annotations

import ssl
import uuid
from pathlib import Path

import httplib2
import httpx
import pytest

from infra.sandbox.core import service as service_module
from infra.sandbox.core.app import create_app
from infra.sandbox.core.client import Sandbox, ssl_context
from infra.sandbox.core.service import ServiceError


def test_the_certificate_is_for_127_0_0_1_and_localhost_and_chains_to_the_ca(sb: Sandbox) -> None:
    assert sb.secure_url == f"https://127.0.0.1:{sb.tls_port}" and sb.ca_bundle
    trusted = ssl_context(sb.ca_bundle)
    for host in ("127.0.0.1", "localhost"):
        url = f"https://{host}:{sb.tls_port}/_sandbox/health"
        assert httpx.get(url, verify=trusted).json() == {"ok": True}
    # What google-api-python-client uses: httplib2 with the block's CA bundle.
    response, _ = httplib2.Http(ca_certs=sb.ca_bundle).request(f"{sb.secure_url}/_sandbox/tls")
    assert response.status == 200


def test_a_client_that_does_not_trust_the_ca_is_refused(sb: Sandbox) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{sb.secure_url}/_sandbox/health", verify=ssl.create_default_context())


def test_the_tls_listener_shares_the_plain_ones_state(sb: Sandbox) -> None:
    assert httpx.get(f"{sb.base_url}/_sandbox/tls").json() == {
        "url": sb.secure_url,
        "ca_bundle": sb.ca_bundle,
    }
    sb.add_fault("/notion/", status=503, times=1)
    over_tls = httpx.get(f"{sb.secure_url}/notion/v1/users/me", verify=ssl_context(sb.ca_bundle))
    assert over_tls.status_code == 503
    assert sb.faults()[0]["hits"] == 1


def test_a_root_path_claim_reaches_its_service_under_its_own_prefix(sb: Sandbox) -> None:
    """google-api-python-client keeps only the host of the endpoint for uploads."""
    url = f"{sb.secure_url}/upload/youtube/v3/videos?uploadType=resumable&part=snippet"
    answer = httpx.post(url, json={}, verify=ssl_context(sb.ca_bundle))
    assert answer.status_code == 401
    assert answer.json()["error"]["errors"][0]["reason"] == "authError"  # YouTube's format
    assert [r["path"] for r in sb.requests()] == ["/youtube/upload/youtube/v3/videos"]
    assert httpx.get(f"{sb.base_url}/upload/other").status_code == 404


def test_the_ca_folder_goes_with_the_process() -> None:
    with Sandbox.start() as own:
        ca = Path(own.ca_bundle or "")
        assert ca.is_file() and ca.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert not ca.parent.exists()


CLAIMING = """
from fastapi import APIRouter
from infra.sandbox.core.service import Service

class Claiming(Service):
    name = "{name}"

    def routes(self):
        return APIRouter()

    def root_paths(self):
        return ({prefix!r},)

SERVICE = Claiming
"""


@pytest.mark.parametrize("prefix", ["/_sandbox/x/", "/other/x/", "upload/"])
def test_a_root_path_cannot_take_another_services_or_the_cores_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    package = f"services_{uuid.uuid4().hex}"
    for name, claim in (("claiming", prefix), ("other", "/other-root/")):
        (tmp_path / package / name).mkdir(parents=True)
        (tmp_path / package / name / "__init__.py").write_text(
            CLAIMING.format(name=name, prefix=claim)
        )
    (tmp_path / package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(service_module, "SERVICES_PACKAGE", package)
    with pytest.raises(ServiceError, match="cannot claim the root path"):
        create_app("http://127.0.0.1:1")
