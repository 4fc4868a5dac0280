"""How change batches travel to subscribers (S4): behind one small Protocol.

``OutboxTransport`` (the default) keeps batches in the metadata database, where
the consumer pulls and acknowledges them through the API. ``NatsTransport``
publishes each batch to NATS JetStream: one stream per node
(``GOVDATA_<node code>``), one subject and one durable pull consumer per
subscription, explicit acknowledgement with ``ack_wait`` equal to
``subscription_redelivery_seconds`` (JetStream redelivers what is not
acknowledged in time). The batch id is the message id, so a batch published
twice is stored once. The batches stay in the metadata database in both modes:
they are the record of what was delivered, and the node reads the consumer's
acknowledgement floor back to know its last acknowledged version.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import nats
import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError

from govdata.errors import PeerUnavailable
from govdata.settings import Settings

T = TypeVar("T")
CONNECT_TIMEOUT_SECONDS = 2.0
STREAM_MAX_AGE_SECONDS = 30 * 86_400


@dataclass(frozen=True)
class OutgoingBatch:
    batch_id: str
    subscription_id: str
    body: Mapping[str, Any]


class ChangeTransport(Protocol):
    name: str

    def open_subscription(self, subscription_id: str) -> None:
        """Prepare the channel of a new subscription."""

    def close_subscription(self, subscription_id: str) -> None:
        """Remove the channel of a cancelled subscription."""

    def publish(self, batches: Sequence[OutgoingBatch]) -> dict[str, int]:
        """Hand batches over; batch id → the transport's sequence number (if any)."""

    def acknowledged(self, subscription_ids: Sequence[str]) -> dict[str, int]:
        """Subscription id → the highest sequence its consumer acknowledged in order."""


class OutboxTransport:
    """Batches stay in the outbox table; pulling and acknowledging are API actions."""

    name = "outbox"

    def open_subscription(self, subscription_id: str) -> None:
        return None

    def close_subscription(self, subscription_id: str) -> None:
        return None

    def publish(self, batches: Sequence[OutgoingBatch]) -> dict[str, int]:
        return {}

    def acknowledged(self, subscription_ids: Sequence[str]) -> dict[str, int]:
        return {}


def stream_name(node_code: str) -> str:
    return f"GOVDATA_{node_code}"


def subject_of(node_code: str, subscription_id: str) -> str:
    return f"govdata.{node_code}.subscriptions.{subscription_id}"


def consumer_name(subscription_id: str) -> str:
    return f"sub-{subscription_id}"


async def _connect(url: str) -> Client:
    try:
        return await nats.connect(
            url,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            max_reconnect_attempts=0,
            allow_reconnect=False,
        )
    except Exception as error:  # any failure to connect is the same to callers
        raise PeerUnavailable(
            "无法连接消息服务（NATS）", code="nats_unavailable", fields={"nats_url": url}
        ) from error


def run_coroutine(session: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run an asyncio session to its end from synchronous code.

    On a thread with an event loop already running (a host that embeds one), the
    session gets a thread and a loop of its own rather than failing.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(session())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="govdata-nats") as pool:
        return pool.submit(lambda: asyncio.run(session())).result()


class NatsTransport:
    """NATS JetStream: a stream per node, a subject and durable consumer per subscription."""

    name = "nats"

    def __init__(self, url: str, node_code: str, ack_wait_seconds: int) -> None:
        self.url = url
        self.node_code = node_code
        self.stream = stream_name(node_code)
        self.ack_wait_seconds = ack_wait_seconds

    def _run(self, work: Callable[[JetStreamContext], Awaitable[T]]) -> T:
        async def session() -> T:
            client = await _connect(self.url)
            try:
                js = client.jetstream()
                await self._ensure_stream(js)
                return await work(js)
            finally:
                await client.close()

        return run_coroutine(session)

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        try:
            await js.stream_info(self.stream)
        except NotFoundError:
            await js.add_stream(
                StreamConfig(
                    name=self.stream,
                    subjects=[f"govdata.{self.node_code}.subscriptions.>"],
                    max_age=STREAM_MAX_AGE_SECONDS,
                )
            )

    def open_subscription(self, subscription_id: str) -> None:
        async def work(js: JetStreamContext) -> None:
            await js.add_consumer(
                self.stream,
                ConsumerConfig(
                    durable_name=consumer_name(subscription_id),
                    filter_subject=subject_of(self.node_code, subscription_id),
                    ack_policy=AckPolicy.EXPLICIT,
                    deliver_policy=DeliverPolicy.ALL,
                    ack_wait=float(self.ack_wait_seconds),
                ),
            )

        self._run(work)

    def close_subscription(self, subscription_id: str) -> None:
        async def work(js: JetStreamContext) -> None:
            try:
                await js.delete_consumer(self.stream, consumer_name(subscription_id))
            except NotFoundError:
                return

        self._run(work)

    def publish(self, batches: Sequence[OutgoingBatch]) -> dict[str, int]:
        async def work(js: JetStreamContext) -> dict[str, int]:
            sequences: dict[str, int] = {}
            for batch in batches:
                ack = await js.publish(
                    subject_of(self.node_code, batch.subscription_id),
                    json.dumps(batch.body, ensure_ascii=False).encode(),
                    stream=self.stream,
                    headers={"Nats-Msg-Id": batch.batch_id},
                )
                sequences[batch.batch_id] = ack.seq
            return sequences

        return self._run(work) if batches else {}

    def acknowledged(self, subscription_ids: Sequence[str]) -> dict[str, int]:
        async def work(js: JetStreamContext) -> dict[str, int]:
            floors: dict[str, int] = {}
            for subscription_id in subscription_ids:
                try:
                    info = await js.consumer_info(self.stream, consumer_name(subscription_id))
                except NotFoundError:
                    continue
                if info.ack_floor is not None:
                    floors[subscription_id] = info.ack_floor.stream_seq
            return floors

        return self._run(work) if subscription_ids else {}


def transport_for(settings: Settings, name: str | None = None) -> ChangeTransport:
    """The transport named (default: the node's ``subscription_transport``)."""
    chosen = name or settings.subscription_transport
    if chosen == "nats":
        return NatsTransport(
            settings.nats_url, settings.node_code, max(1, settings.subscription_redelivery_seconds)
        )
    return OutboxTransport()


class NatsSubscriber:
    """The consumer's side of a NATS subscription: fetch batches, acknowledge them.

    For consumers written in Python (and the tests and the benchmark); any NATS
    client binding the durable consumer ``sub-<subscription id>`` of stream
    ``GOVDATA_<node code>`` works the same way.
    """

    def __init__(self, url: str, node_code: str, subscription_id: str) -> None:
        self.url = url
        self.stream = stream_name(node_code)
        self.durable = consumer_name(subscription_id)

    def fetch(self, *, ack: bool, timeout: float = 2.0, limit: int = 10) -> list[dict[str, Any]]:
        """Batches waiting (redelivered ones again), acknowledged if ``ack``."""

        async def session() -> list[dict[str, Any]]:
            client = await _connect(self.url)
            try:
                js = client.jetstream()
                subscription = await js.pull_subscribe_bind(self.durable, stream=self.stream)
                try:
                    messages = await subscription.fetch(limit, timeout=timeout)
                except (TimeoutError, nats.errors.TimeoutError):
                    return []
                bodies = []
                for message in messages:
                    bodies.append(json.loads(message.data))
                    if ack:
                        await message.ack_sync()
                return bodies
            finally:
                await client.close()

        return run_coroutine(session)
