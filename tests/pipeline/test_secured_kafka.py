"""The real processes against the secured broker: refused, they say why, answer 503, publish
nothing, and recover by themselves once the cause is fixed; accepted, the pipeline works."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from localkafka.ports import free_port
from tests.faults.common import (
    ZUBIE_SECRET,
    start_ingress,
    write_sources,
    zubie_body,
    zubie_signature,
)
from tests.support.ingress import create_raw_topics
from tests.support.kafka import read_all
from tests.support.processes import Service, environment, running_pipeline
from tests.support.samples import sample
from tests.support.secured import SecuredCluster, unsigned_token, without_security

pytestmark = pytest.mark.kafka


def readiness(url: str) -> tuple[int, str]:
    """The status of /readyz and its reason (empty when ready or not answering)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), ""
    except urllib.error.HTTPError as error:
        return error.code, str(json.loads(error.read()).get("reason", ""))
    except OSError:
        return 0, ""


async def wait_reason(url: str, expected: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status, reason = await asyncio.to_thread(readiness, url)
        if status == 503 and expected in reason:
            return reason
        assert time.monotonic() < deadline, f"{url}: {status} {reason!r}, expected {expected!r}"
        await asyncio.sleep(0.2)


async def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (found := await asyncio.to_thread(readiness, url))[0] != 200:
        assert time.monotonic() < deadline, f"{url} never became ready: {found}"
        await asyncio.sleep(0.2)


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Zubie-Signature": zubie_signature(body), "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


class Case:
    """A refusal: the settings that cause it, and what fixes it without a restart."""

    def __init__(self, name: str, secured: SecuredCluster, directory: Path) -> None:
        self.name = name
        self._secured = secured
        self._file = directory / "mounted-secret"
        if name == "wrong password":
            self._file.write_text("not-the-password\n")
            self.env = secured.scram_env("admin", password_file=self._file)
            self.cause = "authentication refused by the broker"
        elif name == "expired token":
            self._file.write_text(unsigned_token("admin", -60))
            self.env = secured.token_env(self._file)
            self.cause = "authentication refused by the broker"
        elif name == "untrusted CA":
            shutil.copyfile(secured.untrusted_ca_file, self._file)
            self.env = {**secured.scram_env("admin"), "KAFKA_SSL_CA_LOCATION": str(self._file)}
            self.cause = "certificate not trusted"
        else:
            self.env = {
                **secured.scram_env("admin"),
                "KAFKA_BOOTSTRAP_SERVERS": secured.mismatched_bootstrap,
            }
            self.cause = "host name mismatch"

    @property
    def fixable(self) -> bool:
        return self.name != "host name mismatch"  # a setting, not a file, must change

    def fix(self) -> None:
        """What an operator does: rotate the mounted password, renew the token, the CA."""
        if self.name == "wrong password":
            self._file.write_text(self._secured.password("admin") + "\n")
        elif self.name == "expired token":
            self._file.write_text(unsigned_token("admin", 600))
        else:
            shutil.copyfile(self._secured.ca_file, self._file)


CASES = ["wrong password", "expired token", "untrusted CA", "host name mismatch"]


@pytest.mark.parametrize("name", CASES)
async def test_a_refused_ingress_says_why_answers_503_and_recovers(
    secured_kafka: SecuredCluster, prefix: str, tmp_path: Path, name: str
) -> None:
    case = Case(name, secured_kafka, tmp_path)
    await create_raw_topics(secured_kafka.admin(), prefix)
    sources = write_sources(tmp_path)
    ingress = start_ingress(prefix, tmp_path, sources, **case.env)
    refused, accepted = zubie_body(f"{name}-refused"), zubie_body(f"{name}-accepted")
    try:
        reason = await wait_reason(ingress.readyz, case.cause)
        assert await asyncio.to_thread(post, f"{ingress.base}/webhooks/zubie", refused) == 503
        if case.fixable:
            case.fix()
            await wait_ready(ingress.readyz)
            assert await asyncio.to_thread(post, f"{ingress.base}/webhooks/zubie", accepted) == 200
    finally:
        assert ingress.service.stop() == 0, ingress.service.output()
    log = ingress.service.output()
    print(f"\n[{name}] /readyz reason: {reason}")
    # One line says it, however often the ingress tried again meanwhile.
    said = [line for line in log.splitlines() if case.cause in line]
    assert len(said) == 1, log
    assert reason in said[0]
    assert secured_kafka.password("admin") not in log
    if case.fixable:
        # Nothing of the refused request was published; the accepted one was, once.
        records = await read_all(f"{prefix}.raw.zubie", expect=1, bootstrap=secured_kafka.admin())
        assert [r.value for r in records] == [accepted]


async def test_a_refused_processor_says_why_and_recovers_after_the_password_file_is_fixed(
    secured_kafka: SecuredCluster, prefix: str, tmp_path: Path
) -> None:
    case = Case("wrong password", secured_kafka, tmp_path)
    admin = free_port()
    sources = write_sources(tmp_path)
    processor = Service(
        ["process", "--provider", "zubie"],
        {
            **without_security(environment(prefix, sources)),
            **case.env,
            "FLEETWIRE_ADMIN_PORT": str(admin),
        },
        tmp_path / "processor.log",
    )
    readyz = f"http://127.0.0.1:{admin}/readyz"
    try:
        reason = await wait_reason(readyz, case.cause)
        case.fix()
        await wait_ready(readyz, timeout=60)
    finally:
        assert processor.stop() == 0, processor.output()
    said = [line for line in processor.output().splitlines() if case.cause in line]
    assert len(said) == 1
    assert reason in said[0]
    assert "kafka accepts this processor again" in processor.output()


async def test_the_pipeline_runs_over_sasl_ssl_with_scram_sha_512(
    secured_kafka: SecuredCluster, prefix: str, tmp_path: Path
) -> None:
    sources = f'[[sources]]\nname = "zubie"\nprovider = "zubie"\nsecrets = ["{ZUBIE_SECRET}"]\n'
    body = sample("zubie", "trip_end")
    with running_pipeline(prefix, sources, tmp_path, **secured_kafka.scram_env("admin")) as p:
        assert await asyncio.to_thread(post, p.url("zubie"), body) == 200
        [event] = await read_all(
            f"{prefix}.canonical.trips", expect=1, timeout=30, bootstrap=secured_kafka.admin()
        )
    assert json.loads(event.value)["type"] == "vehicle.trip.ended"
