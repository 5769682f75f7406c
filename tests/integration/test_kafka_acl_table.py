"""Every Kafka principal x topic x operation, and every principal x consumer-group prefix, against the real
broker (issue 14): the table below is written out by hand from architecture.md ("a service writes only its
own topic; an organisation writes only its own ingress topic; each reads only what it consumes"), not
derived from `contracts.topics`, so a change there that widens a grant fails here.

Each cell is checked twice: in the ACLs the broker reports (`describe_acls`, evaluated as the broker's
authoriser would: literal, `*` and prefixed patterns), and by a real attempt as that principal with its
SCRAM credentials from the test deployment: a produce request (to a partition that does not exist, so that
nothing is written on the shared broker: the broker judges WRITE before it looks for the partition), a fetch,
a metadata request, an offset commit in a group and a group description. The attempts run batched: one
produce and one fetch request per principal naming every topic, all principals at once.

`test_kafka_security.py` proves the mechanism (a refused write, a wrong password, the declared ACLs on the
broker); this module proves the whole matrix.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import pytest
from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.fetch import FetchRequest
from aiokafka.protocol.produce import ProduceRequest
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
# "." : nothing. Services read their own dead-letter topic to redrive (backbone.redrive) and their own event
# topic back: the relay, to learn what reached it before a crash (backbone.relay), and intake after a restore
# (docs/restore.md); audit reads every event and dead-letter topic into the trail; operators read everything
# and write nothing.
PRINCIPALS = {"int": "intake", "ass": "assessment", "pla": "planning", "gui": "guidance", "not": "notifications",
              "aud": "audit", "emp": "employment-region", "ras": "raseborg", "han": "hango", "ing": "inga",
              "luv": "luvn", "kel": "kela", "op": "operator"}

TABLE = """
topic                          int ass pla gui not aud emp ras han ing luv kel op
integration.intake.v1          RW  R   R   R   R   R   .   .   .   .   .   .   R
integration.assessment.v1      .   RW  R   .   R   R   .   .   .   .   .   .   R
integration.planning.v1        .   .   RW  R   R   R   .   .   .   .   .   .   R
integration.guidance.v1        .   .   R   RW  R   R   .   .   .   .   .   .   R
integration.notifications.v1   .   .   .   .   RW  R   .   .   .   .   .   .   R
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

TOPIC_AUTHORIZATION_FAILED = 29
UNKNOWN_TOPIC_OR_PARTITION = 3
NO_SUCH_PARTITION = 99
"""A produce to a partition no topic has: the broker checks WRITE on the topic first (TOPIC_AUTHORIZATION_FAILED)
and only then finds the partition missing (UNKNOWN_TOPIC_OR_PARTITION), so the attempt is a real produce
request that the authoriser judges, yet it writes nothing a consumer of the shared broker could trip over."""


def _errors(response) -> dict[str, int]:
    """topic -> the error code of its one partition in a produce or fetch response."""
    found = {}
    for topic, partitions in ((t[0], t[1]) for t in response.topics):
        (partition,) = partitions
        found[topic] = partition[1]
    return found


async def _attempts(infra, principal: str) -> tuple[dict[str, int], dict[str, int]]:
    """(produce errors, fetch errors) per topic for one produce and one fetch request naming every topic, sent
    to the broker as `principal` with its SCRAM credential."""
    client = AIOKafkaClient(**infra.kafka_kwargs(principal), request_timeout_ms=20000)
    await client.bootstrap()
    try:
        node = next(iter(client.cluster.brokers())).nodeId
        produced = await client.send(node, ProduceRequest(None, 1, 10000, [
            (topic, [(NO_SUCH_PARTITION, b"")]) for topic in TOPICS]))
        fetched = await client.send(node, FetchRequest(0, 0, 64 * 1024, 0, [
            (topic, [(0, 0, 1024)]) for topic in TOPICS]))
    finally:
        await client.close()
    return _errors(produced), _errors(fetched)


async def test_each_principal_writes_exactly_its_topics_and_fetches_exactly_what_it_consumes(infra):
    answers = dict(zip(principals(), await asyncio.gather(*(_attempts(infra, p) for p in principals())),
                       strict=True))
    for principal, (produced, fetched) in answers.items():
        assert set(produced) == set(fetched) == set(TOPICS), principal
        refused = {TOPIC_AUTHORIZATION_FAILED}
        assert set(produced.values()) <= refused | {UNKNOWN_TOPIC_OR_PARTITION}, (principal, produced)
        assert set(fetched.values()) <= refused | {0, 1}, (principal, fetched)  # none, offset out of range

    writes = {(p, t) for p, (produced, _) in answers.items() for t, code in produced.items()
              if code != TOPIC_AUTHORIZATION_FAILED}
    reads = {(p, t) for p, (_, fetched) in answers.items() for t, code in fetched.items()
             if code != TOPIC_AUTHORIZATION_FAILED}
    assert writes == expected("write")
    assert reads == expected("read")


def test_each_principal_sees_exactly_the_topics_it_may_describe(infra):
    seen = set()
    for principal in principals():
        client = admin_client(infra.bootstrap, principal, infra.secrets["kafka"][principal])
        visible = set(client.list_topics(timeout=10).topics) & set(TOPICS)
        seen |= {(principal, t) for t in visible}

    assert seen == expected("describe")


SETTLED_ERRORS = {"GROUP_AUTHORIZATION_FAILED", "TOPIC_AUTHORIZATION_FAILED"}


def _group_outcome(future) -> str:
    """'refused' when the broker refused the group (for the whole request or for its partitions), 'group-ok'
    when it got past the group check (a partition of a topic the principal may not read still fails after it),
    'again' for anything else (no coordinator yet on a fresh broker, a time-out): never read as allowed."""
    try:
        result = future.result(timeout=30)
    except KafkaException as exc:
        name = exc.args[0].name()
        return "refused" if name == "GROUP_AUTHORIZATION_FAILED" else "again"
    errors = {tp.error.name() for tp in getattr(result, "topic_partitions", None) or [] if tp.error is not None}
    if errors - SETTLED_ERRORS:
        return "again"
    return "refused" if "GROUP_AUTHORIZATION_FAILED" in errors else "group-ok"


def test_each_principal_commits_and_describes_only_in_the_groups_its_table_allows(infra, unique):
    """An offset commit (a topic the principal may not read still fails per partition, after the group check)
    and a group description, for every principal x every principal's group prefix."""
    partition = ConfluentPartition("integration.intake.v1", 0, 0)
    clients = {p: admin_client(infra.bootstrap, p, infra.secrets["kafka"][p]) for p in principals()}
    outcomes: dict[tuple[str, str, str], str] = {}
    wanted = [(op, principal, owner) for op in ("read", "describe") for principal in principals()
              for owner in principals()]
    for _ in range(10):
        pending = []
        for op, principal, owner in (w for w in wanted if outcomes.get(w, "again") == "again"):
            group = f"{owner}.acl-table-{unique}"
            client = clients[principal]
            future = (client.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [partition])])
                      if op == "read" else client.describe_consumer_groups([group]))[group]
            pending.append(((op, principal, owner), future))
        if not pending:
            break
        for cell, future in pending:
            outcomes[cell] = _group_outcome(future)
        if "again" in outcomes.values():
            time.sleep(1)

    for (op, principal, owner), outcome in outcomes.items():
        group = f"{owner}.acl-table-{unique}"
        assert outcome == ("group-ok" if op in group_expected(principal, group) else "refused"), \
            (op, principal, group, outcome)


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
