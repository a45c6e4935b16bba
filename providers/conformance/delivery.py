"""The delivery rules: a delivery through the real ingress handler, and sent again.

The ingress runs in-process (ingress.app's handler and routes on 127.0.0.1) with a
publisher that keeps the raw records it is given instead of writing them to Kafka, so
the rules see exactly the status a provider sees and the raw record the processors read.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import RawTestServer, TestClient

from fleetwire import envelope
from fleetwire.topics import TopicNames
from ingress.app import IngressConfig, WebhookHandler
from ingress.verifier import Verifier
from processors.output import InRecord, OutRecord
from providers import golden
from providers.conformance.signing import bodies
from providers.conformance.sources import full, rotated
from providers.spec import Provider

TOPICS = TopicNames("conformance")
MAX_BODY_BYTES = 1 << 20
# How much later an untimed provider's retry comes (a timed one's: within its window).
RETRY_AFTER_S = 60 * 60
# What the ingress answers for other reasons: a refusal must not look like one of them.
NOT_REFUSALS = frozenset({404, 405, 408, 413})

Request = tuple[bytes, dict[str, str]]


@dataclass
class Recorder:
    """A publisher that keeps what it is given, acknowledged at once."""

    records: list[InRecord] = field(default_factory=list)

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        self.records.append(
            InRecord(
                topic=topic,
                partition=0,
                offset=len(self.records),
                key=key,
                value=value,
                headers=list(headers),
            )
        )


def post(verifier: Verifier, requests: Sequence[Request]) -> tuple[list[int], list[InRecord]]:
    """The status of each request posted to the verifier's source, and what was published."""
    return asyncio.run(_post(verifier, requests))


async def _post(
    verifier: Verifier, requests: Sequence[Request]
) -> tuple[list[int], list[InRecord]]:
    recorder = Recorder()
    limit = max([MAX_BODY_BYTES, *(len(body) for body, _ in requests)])
    config = IngressConfig(
        verifiers={verifier.source.name: verifier},
        topics=TOPICS,
        max_body_bytes=limit,
        max_in_flight=8,
    )
    handler = WebhookHandler(config, recorder)
    statuses = []
    server = RawTestServer(handler.dispatch, host="127.0.0.1")
    client: TestClient[web.BaseRequest, None] = TestClient(server)
    async with client:
        for body, headers in requests:
            sent = {"Content-Type": "application/json", **headers}
            async with client.post(
                f"/webhooks/{verifier.source.name}", data=body, headers=sent
            ) as response:
                await response.read()
                statuses.append(response.status)
    return statuses, recorder.records


def ingress_refuses_with_its_status(provider: Provider) -> None:
    """A refused delivery is answered the provider's refusal status and nothing is written;
    the same delivery signed right is answered 200 and written once."""
    expected = provider.refusal_status
    if not 400 <= expected < 500 or expected in NOT_REFUSALS:
        raise AssertionError(
            f"{provider.name}: refusal status {expected}: a refusal is a 4xx that says "
            "authentication failed (401, or 403 for a provider that retries 401)"
        )
    first, *others = rotated(provider)
    current = first.verifier
    deliveries = bodies(provider, current)
    # (what it is, the status it must get, the request)
    cases: list[tuple[str, int, Request]] = []
    for body in deliveries:
        now = time.time()
        signed = current.sign(body, now)
        cases += [("signed", 200, (body, signed)), ("without credentials", expected, (body, {}))]
        cases += [
            (f"signed with {other.what}", expected, (body, other.verifier.sign(body, now)))
            for other in others
            if other.key == first.key
        ]
        if provider.body_signed:
            cases.append(("with a tampered body", expected, (body + b" ", signed)))
    statuses, records = post(current, [request for _, _, request in cases])
    for (what, status, _), got in zip(cases, statuses, strict=True):
        if got != status:
            raise AssertionError(
                f"{provider.name}: a delivery {what} got {got} from the ingress; expected "
                f"{status} (its refusal status: {expected})"
            )
    if len(records) != len(deliveries):
        raise AssertionError(
            f"{provider.name}: {len(records)} raw records written for {len(deliveries)} "
            "signed deliveries; a refused one must not be written"
        )


def retry_gets_the_same_raw_key_and_ids(provider: Provider) -> None:
    """A delivery sent again later (re-signed as the provider retries) is accepted, written
    under the same raw key, and becomes events with the same ids."""
    verifier = full(provider)
    window = provider.replay_window_s
    later = window // 2 if window is not None else RETRY_AFTER_S
    deliveries = bodies(provider, verifier)
    requests: list[Request] = []
    for body in deliveries:
        # Signed `later` seconds ago: for a timed scheme still inside its window.
        now = time.time()
        first = verifier.sign(body, now - later)
        requests += [(body, first), (body, verifier.resign(first, body, now))]
    statuses, records = post(verifier, requests)
    if any(status != 200 for status in statuses) or len(records) != len(requests):
        raise AssertionError(
            f"{provider.name}: deliveries and their retries got {sorted(set(statuses))} "
            f"from the ingress; expected 200 for each"
        )
    for body, written, again in zip(deliveries, records[::2], records[1::2], strict=True):
        what = f"{provider.name}: {body[:40]!r}..."
        if written.topic != TOPICS.raw(provider.name):
            raise AssertionError(f"{what}: written to {written.topic}")
        if envelope.header(written.headers, envelope.PROVIDER) != provider.name:
            raise AssertionError(f"{what}: the raw record names another provider")
        if written.key != again.key:
            raise AssertionError(f"{what}: raw key {written.key!r}, retried {again.key!r}")
        if _outcome(provider, written) != _outcome(provider, again):
            raise AssertionError(f"{what}: the retry became other events than the delivery")


def same_delivery_same_ids(provider: Provider) -> None:
    """A delivery read again (received later) has the same event ids; another delivery of
    the same body has other ids; no two events of a delivery share one."""
    for sample in golden.event_samples(provider):
        body = sample.read_bytes()
        first = _outcome(provider, golden.delivery(provider, body, key="delivery-1"))
        again = _outcome(
            provider,
            golden.delivery(
                provider, body, key="delivery-1", received_at="2026-01-01T00:00:00.000Z"
            ),
        )
        other = _outcome(provider, golden.delivery(provider, body, key="delivery-2"))
        what = f"{provider.name}: {sample.name}"
        if first != again:
            raise AssertionError(f"{what}: ids {first}, read again {again}")
        if len(set(first)) != len(first):
            raise AssertionError(f"{what}: events of one delivery share an id: {first}")
        if set(first) & set(other):
            raise AssertionError(f"{what}: another delivery has the same ids {first}")


def _outcome(provider: Provider, record: InRecord) -> list[str]:
    """The ids of the events `record` becomes, or its dead letter's kind."""
    out = golden.transformer(provider).transform(provider.name, record)
    return [_id_or_kind(o) for o in out]


def _id_or_kind(out: OutRecord) -> str:
    if out.event_type is None:
        return f"dead letter: {out.error_kind}"
    return str(json.loads(out.value)["id"])
