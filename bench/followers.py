"""Guidance and notifications consuming intake's registrations through their real subscriptions, vs a raw
aiokafka consumer of the same messages in the same run.

Per service, a scratch topic (`bench.<service>.<random>`, 3 partitions, like `bench.planning`) gets `n`
ClientRegistered envelopes of new clients, keyed by client, and a scratch database the runtime's, the
client parts' and the service's migrations. The inbox loop (`bench.consume.consume_range`) runs the
service's own `clients` subscription, one transaction per partition batch:

- guidance: `backbone.clientview` (the read model every consuming service keeps) and guidance's reaction;
- notifications: the client view, then the triggers table: each registration queues its messages
  (a welcome or contact acknowledgement, the plan-window reminder), once, by id.

The raw loop reads the same range and does nothing. Every run checks the rows each event left.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from backbone import db, parts
from backbone.clientkeys import ClientKeys
from backbone.clock import SystemClock
from backbone.inbox import InboxConsumer, Subscription
from backbone.workdays import WorkingDays
from bench.common import Sizes, Target, log, median, scratch_database
from bench.consume import consume_range
from bench.planning import PRINCIPAL, _ends, scratch_topic
from tests.support.events import registered


@dataclass
class FollowerResult:
    service: str
    applied: list[float]  # events consumed and applied/s per repetition
    raw: list[float]
    events: int

    @property
    def applied_median(self) -> float:
        return median(self.applied)

    @property
    def raw_median(self) -> float:
        return median(self.raw)


def _guidance(target: Target, pool: asyncpg.Pool) -> tuple[Path, Subscription, str]:
    from guidance.bootstrap import MIGRATIONS
    from guidance.service_layer import reactions
    from guidance.service_layer.deps import Deps

    keys = ClientKeys.from_setting(target.secrets["guidance"]["vault_master_keys"])
    deps = Deps(pool=lambda: pool, clock=SystemClock(), keys=keys, calendar=WorkingDays())
    return MIGRATIONS, reactions.clients(deps), "SELECT count(*) FROM client_view WHERE client_id = ANY($1::uuid[])"


def _notifications(_target: Target, _pool: asyncpg.Pool) -> tuple[Path, Subscription, str]:
    from notifications.bootstrap import MIGRATIONS
    from notifications.service_layer import events

    clients = next(s for s in events.subscriptions(lambda: datetime.now(UTC)) if s.name == "clients")
    return MIGRATIONS, clients, "SELECT count(DISTINCT client_id) FROM notifications WHERE client_id = ANY($1::uuid[])"


SERVICES: dict[str, Callable[[Target, asyncpg.Pool], tuple[Path, Subscription, str]]] = {
    "guidance": _guidance,
    "notifications": _notifications,
}
"""Each service: its migrations, its subscription to intake's events, and a count of the clients it applied."""


async def bench_follower(target: Target, sizes: Sizes, service: str) -> FollowerResult:
    n = max(20, sizes.registrations)
    applied: list[float] = []
    raw: list[float] = []
    async with scratch_topic(target, service) as (topic, kafka), scratch_database(target, service) as dsn:
        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=4)
        try:
            for part in (parts.CLIENT_VIEW, parts.CLIENT_KEYS):
                await db.migrate(pool, part, prefix=f"backbone/{part.name}/")
            migrations, real, count = SERVICES[service](target, pool)
            await db.migrate(pool, migrations, prefix=f"{service}/")
            for rep in range(sizes.reps):
                clients = [uuid.uuid4() for _ in range(n)]
                start = await _ends(target, topic)
                for envelope in (registered(c) for c in clients):
                    await kafka.send(topic, envelope.to_bytes(), key=envelope.key())
                await kafka.flush()
                end = await _ends(target, topic)
                inbox = InboxConsumer(pool, kafka, target.kafka(PRINCIPAL), service=f"{service}-bench",
                                      subscription=Subscription(name=f"bench-{rep}", topics=(topic,),
                                                                handler=real.handler),
                                      dead_letter_topic=topic + ".dlq")
                if rep % 2:  # alternate which of the two reads the range first
                    raw.append(await consume_range(target, start, end, None, principal=PRINCIPAL))
                applied.append(await consume_range(target, start, end, inbox, principal=PRINCIPAL))
                if not rep % 2:
                    raw.append(await consume_range(target, start, end, None, principal=PRINCIPAL))
                done = await pool.fetchval(count, clients)
                if inbox.stats.dead_lettered or done != n:
                    raise RuntimeError(f"{service} bench: {inbox.stats}, {done} of {n} clients applied")
                log(f"{service} rep {rep + 1}: {applied[-1]:,.0f} events applied/s, raw consumer {raw[-1]:,.0f}/s "
                    f"({n} events)")
        finally:
            await pool.close()
    return FollowerResult(service, applied, raw, n)
