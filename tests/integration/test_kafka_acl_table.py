"""Every Kafka principal x topic x operation, and every principal x consumer-group prefix, against the real
broker (issue 14): the table below is written out by hand from architecture.md ("a service writes only its
own topic; an organisation writes only its own ingress topic; each reads only what it consumes"), not
derived from `contracts.topics`, so a change there that widens a grant fails here.

Each cell is checked twice: in the ACLs the broker reports (`describe_acls`, evaluated as the broker's
authoriser would: literal, `*` and prefixed patterns), and by a real attempt as that principal with its
SCRAM credentials from the test deployment: a produce, a fetch, a metadata request, an offset commit in a
group and a group description. The attempts run batched, one client per principal, all principals at once.

`test_kafka_security.py` proves the mechanism (a refused write, a wrong password, the declared ACLs on the
broker); this module proves the whole matrix.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import TopicAuthorizationFailedError
from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException
from confluent_kafka import TopicPartition as ConfluentPartition
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)

from contracts.topics import all_topics, principals
from deploy.provision import admin_client

pytestmark = pytest.mark.integration

# Columns: the principals. W: writes (and describes) the topic; R: reads (and describes) it; RW: both.
# "." : nothing. Services read their own dead-letter topic to redrive (backbone.redrive) and intake reads
# its own event topic back after a restore (docs/restore.md); audit reads every event and dead-letter
# topic into the trail; operators read everything and write nothing.
PRINCIPALS = {"int": "intake", "ass": "assessment", "pla": "planning", "gui": "guidance", "not": "notifications",
              "aud": "audit", "emp": "employment-region", "ras": "raseborg", "han": "hango", "ing": "inga",
              "luv": "luvn", "kel": "kela", "op": "operator"}

TABLE = """
topic                          int ass pla gui not aud emp ras han ing luv kel op
integration.intake.v1          RW  R   R   R   R   R   .   .   .   .   .   .   R
integration.assessment.v1      .   W   R   .   R   R   .   .   .   .   .   .   R
integration.planning.v1        .   .   W   R   R   R   .   .   .   .   .   .   R
integration.guidance.v1        .   .   R   W   R   R   .   .   .   .   .   .   R
integration.notifications.v1   .   .   .   .   W   R   .   .   .   .   .   .   R
ingress.employment-region.v1   R   .   .   .   .   .   W   .   .   .   .   .   R
ingress.raseborg.v1            R   .   .   .   .   .   .   W   .   .   .   .   R
ingress.hango.v1               R   .   .   .   .   .   .   .   W   .   .   .   R
ingress.inga.v1                R   .   .   .   .   .   .   .   .   W   .   .   R
ingress.luvn.v1                R   .   .   .   .   .   .   .   .   .   W   .   R
ingress.kela.v1                R   .   .   .   .   .   .   .   .   .   .   W   R
deadletter.intake.v1           RW  .   .   .   .   R   .   .   .   .   .   .   R
deadletter.assessment.v1       .   RW  .   .   .   R   .   .   .   .   .   .   R
deadletter.planning.v1         .   .   RW  .   .   R   .   .   .   .   .   .   R
deadletter.guidance.v1         .   .   .   RW  .   R   .   .   .   .   .   .   R
deadletter.notifications.v1    .   .   .   .   RW  R   .   .   .   .   .   .   R
deadletter.audit.v1            .   .   .   .   .   RW  .   .   .   .   .   .   R
anchor.audit.v1                .   .   .   .   .   RW  .   .   .   .   .   .   R
"""

WATCHERS = {"audit", "operator"}
"""Describe every topic and every group (the console's consumer lag per service) besides their own grants."""

OPS = ("read", "write", "describe")


def table() -> dict[tuple[str, str], set[str]]:
    """(principal, topic) -> the operations the table grants."""
    lines = [line.split() for line in TABLE.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header[1:] == list(PRINCIPALS)
    grants: dict[tuple[str, str], set[str]] = {}
    for topic, *cells in rows:
        for short, cell in zip(PRINCIPALS, cells, strict=True):
            principal = PRINCIPALS[short]
            ops = {op for op, letter in (("read", "R"), ("write", "W")) if letter in cell}
            if ops or principal in WATCHERS:
                ops |= {"describe"}
            grants[(principal, topic)] = ops
    return grants


GRANTS = table()
TOPICS = sorted({topic for _, topic in GRANTS})


def expected(op: str) -> set[tuple[str, str]]:
    return {cell for cell, ops in GRANTS.items() if op in ops}


def test_the_table_names_every_topic_and_every_principal():
    assert set(TOPICS) == {t.name for t in all_topics()}
    assert set(PRINCIPALS.values()) == set(principals())


def test_each_topic_has_exactly_one_writer_and_an_organisation_writes_only_its_ingress_topic():
    for topic in TOPICS:
        writers = [p for (p, t) in expected("write") if t == topic]
        assert len(writers) == 1, topic
    for principal, topic in expected("write"):
        assert topic.split(".")[1] == principal, (principal, topic)


# -- what the broker's ACLs say ----------------------------------------------------------------------------

OPERATION = {AclOperation.READ: "read", AclOperation.WRITE: "write", AclOperation.DESCRIBE: "describe"}
IMPLIES = {"read": {"read", "describe"}, "write": {"write", "describe"}, "describe": {"describe"}}
"""Kafka's authoriser: READ and WRITE imply DESCRIBE (and ALL implies everything)."""


def _matches(binding, name: str) -> bool:
    if binding.resource_pattern_type == ResourcePatternType.PREFIXED:
        return name.startswith(binding.name)
    return binding.name in (name, "*")


def _allowed(bindings: Iterable, resource: ResourceType, principal: str, name: str) -> set[str]:
    """The operations the broker would let `principal` do on the resource, from its ACL bindings."""
    allowed: set[str] = set()
    denied: set[str] = set()
    for b in bindings:
        if b.restype != resource or b.principal != f"User:{principal}" or not _matches(b, name):
            continue
        ops = set(OPS) if b.operation == AclOperation.ALL else IMPLIES.get(OPERATION.get(b.operation, ""), set())
        (allowed if b.permission_type == AclPermissionType.ALLOW else denied).update(ops)
    return allowed - denied


@pytest.fixture(scope="module")
def bindings(infra) -> list:
    admin = admin_client(infra.bootstrap, "admin", infra.secrets["kafka"]["admin"])
    everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                  AclOperation.ANY, AclPermissionType.ANY)
    return admin.describe_acls(everything).result(timeout=10)


def test_the_brokers_topic_acls_grant_exactly_the_table(bindings):
    on_broker = {(p, t): _allowed(bindings, ResourceType.TOPIC, p, t) for p in principals() for t in TOPICS}

    assert {cell: ops for cell, ops in on_broker.items() if ops} == {c: ops for c, ops in GRANTS.items() if ops}


def test_the_broker_grants_nothing_on_the_cluster_or_transactional_ids_and_denies_nothing_by_rule(bindings):
    kinds = {b.restype for b in bindings}

    assert kinds <= {ResourceType.TOPIC, ResourceType.GROUP}
    assert {b.permission_type for b in bindings} == {AclPermissionType.ALLOW}
    assert all(b.host == "*" for b in bindings)


def group_expected(principal: str, group: str) -> set[str]:
    """A principal reads (joins, commits in) only groups named with its own prefix; watchers describe all."""
    ops = {"read", "describe"} if group.startswith(f"{principal}.") else set()
    return ops | ({"describe"} if principal in WATCHERS else set())


GROUPS = [f"{p}.acl-table" for p in principals()]


def test_the_brokers_group_acls_grant_each_principal_its_own_prefix_only(bindings):
    for principal in principals():
        for group in GROUPS:
            assert _allowed(bindings, ResourceType.GROUP, principal, group) == group_expected(principal, group), \
                (principal, group)


# -- real attempts as each principal ---------------------------------------------------------------------

async def _write_everywhere(infra, principal: str, marker: bytes) -> dict[str, tuple[int, int] | None]:
    """topic -> (partition, offset) of the marker written as `principal`, or None when the broker refused."""
    # Not idempotent: an idempotent producer first needs a producer id, which the broker refuses to a principal
    # that may write nowhere (operators) before any topic is tried.
    producer = AIOKafkaProducer(**infra.kafka_kwargs(principal), acks="all", request_timeout_ms=10000)
    await producer.start()
    written: dict[str, tuple[int, int] | None] = {}
    try:
        for topic in TOPICS:
            try:
                meta = await producer.send_and_wait(topic, b"acl-table", key=marker)
                written[topic] = (meta.partition, meta.offset)
            except TopicAuthorizationFailedError:
                written[topic] = None
    finally:
        await producer.stop()
    return written


async def _read_everywhere(infra, principal: str, markers: dict[str, tuple[int, int]],
                           expect: set[str]) -> set[str]:
    """The topics whose marker `principal` actually fetched: every marker partition is assigned at its offset
    and fetched until the expected ones arrived (then one more second for any that should not)."""
    consumer = AIOKafkaConsumer(**infra.kafka_kwargs(principal), group_id=None, enable_auto_commit=False,
                                auto_offset_reset="none")
    await consumer.start()
    fetched: set[str] = set()
    refused: set[str] = set()
    try:
        assignment = {TopicPartition(t, p): o for t, (p, o) in markers.items()}
        consumer.assign(list(assignment))
        for tp, offset in assignment.items():
            consumer.seek(tp, offset)
        deadline = time.monotonic() + 20
        settle: float | None = None
        while time.monotonic() < (settle or deadline):
            try:
                batch = await consumer.getmany(timeout_ms=500)
            except TopicAuthorizationFailedError as refusal:
                refused.add(str(refusal.args[0]) if refusal.args else "")
                continue
            for tp, records in batch.items():
                if any(r.offset == assignment[tp] for r in records):
                    fetched.add(tp.topic)
            if settle is None and fetched >= expect:
                settle = time.monotonic() + 1.0
    finally:
        await consumer.stop()
    assert not fetched & refused
    return fetched


async def test_each_principal_writes_exactly_its_topics_and_fetches_exactly_what_it_consumes(infra, unique):
    marker = unique.encode()
    writes = await asyncio.gather(*(_write_everywhere(infra, p, marker) for p in principals()))
    written = dict(zip(principals(), writes, strict=True))

    assert {(p, t) for p, topics in written.items() for t, at in topics.items() if at} == expected("write")

    markers = {t: at for topics in written.values() for t, at in topics.items() if at}
    assert set(markers) == set(TOPICS)  # every topic has its writer, so every read below has a record to find
    reads = await asyncio.gather(*(
        _read_everywhere(infra, p, markers, {t for (q, t) in expected("read") if q == p}) for p in principals()))

    assert {(p, t) for p, topics in zip(principals(), reads, strict=True) for t in topics} == expected("read")


def test_each_principal_sees_exactly_the_topics_it_may_describe(infra):
    seen = set()
    for principal in principals():
        client = admin_client(infra.bootstrap, principal, infra.secrets["kafka"][principal])
        visible = set(client.list_topics(timeout=10).topics) & set(TOPICS)
        seen |= {(principal, t) for t in visible}

    assert seen == expected("describe")


def _group_outcome(future) -> str:
    """'refused' when the broker refused the group (for the whole request or for its partitions), else
    'group-ok' (a partition of a topic the principal may not read still fails after the group check)."""
    try:
        result = future.result(timeout=20)
    except KafkaException as exc:
        return "refused" if exc.args[0].name() == "GROUP_AUTHORIZATION_FAILED" else "group-ok"
    errors = [tp.error for tp in getattr(result, "topic_partitions", None) or [] if tp.error is not None]
    return "refused" if any(e.name() == "GROUP_AUTHORIZATION_FAILED" for e in errors) else "group-ok"


def test_each_principal_commits_and_describes_only_in_the_groups_its_table_allows(infra, unique):
    """An offset commit (a topic the principal may not read still fails per partition, after the group check)
    and a group description, for every principal x every principal's group prefix."""
    partition = ConfluentPartition("integration.intake.v1", 0, 0)
    committed, described = {}, {}
    clients = {p: admin_client(infra.bootstrap, p, infra.secrets["kafka"][p]) for p in principals()}
    pending = []
    for principal, client in clients.items():
        for owner in principals():
            group = f"{owner}.acl-table-{unique}"
            request = ConsumerGroupTopicPartitions(group, [partition])
            pending.append(("read", principal, owner, client.alter_consumer_group_offsets([request])[group]))
            pending.append(("describe", principal, owner, client.describe_consumer_groups([group])[group]))
    for op, principal, owner, future in pending:
        (committed if op == "read" else described)[(principal, owner)] = _group_outcome(future)

    for principal in principals():
        for owner in principals():
            group = f"{owner}.acl-table-{unique}"
            allowed = group_expected(principal, group)
            assert committed[(principal, owner)] == ("group-ok" if "read" in allowed else "refused"), \
                ("commit", principal, group)
            assert described[(principal, owner)] == ("group-ok" if "describe" in allowed else "refused"), \
                ("describe", principal, group)


def test_a_principal_cannot_create_topics_or_change_acls(infra, unique):
    from confluent_kafka.admin import NewTopic

    for principal in ("intake", "audit", "operator", "kela"):
        client = admin_client(infra.bootstrap, principal, infra.secrets["kafka"][principal])
        topic = f"{principal}.acl-table-{unique}"
        with pytest.raises(KafkaException) as refused:
            client.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(timeout=20)
        assert refused.value.args[0].name() in ("TOPIC_AUTHORIZATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED")
        grant = AclBinding(ResourceType.TOPIC, "integration.planning.v1", ResourcePatternType.LITERAL,
                           f"User:{principal}", "*", AclOperation.WRITE, AclPermissionType.ALLOW)
        with pytest.raises(KafkaException) as refused:
            client.create_acls([grant])[grant].result(timeout=20)
        assert refused.value.args[0].name() == "CLUSTER_AUTHORIZATION_FAILED"
        everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                      AclOperation.ANY, AclPermissionType.ANY)
        assert client.describe_acls(everything).result(timeout=20) == []  # nor may it see the grants
