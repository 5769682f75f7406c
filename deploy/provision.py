"""Topics, SCRAM users and ACLs from contracts.topics; databases and roles per service. Idempotent."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from contracts.topics import OPERATOR, SERVICES, all_topics, principals


def admin_client(bootstrap: str, user: str, password: str) -> AdminClient:
    return AdminClient({
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": user,
        "sasl.password": password,
        "socket.timeout.ms": 5000,
    })


@dataclass(frozen=True)
class Acl:
    resource_type: ResourceType
    name: str
    pattern: ResourcePatternType
    principal: str
    operation: AclOperation

    def binding(self) -> AclBinding:
        return AclBinding(self.resource_type, self.name, self.pattern, f"User:{self.principal}", "*",
                          self.operation, AclPermissionType.ALLOW)


def desired_acls() -> set[Acl]:
    """Writers write their own topic, readers read what they consume, groups are name-prefixed."""
    acls: set[Acl] = set()
    topic, lit = ResourceType.TOPIC, ResourcePatternType.LITERAL
    for t in all_topics():
        acls |= {Acl(topic, t.name, lit, t.writer, op) for op in (AclOperation.WRITE, AclOperation.DESCRIBE)}
        for reader in t.readers:
            acls |= {Acl(topic, t.name, lit, reader, op) for op in (AclOperation.READ, AclOperation.DESCRIBE)}
    for p in principals():
        acls.add(Acl(ResourceType.GROUP, p, ResourcePatternType.PREFIXED, p, AclOperation.READ))
    for watcher in ("audit", OPERATOR):  # consumer lag per service on the console
        acls.add(Acl(ResourceType.GROUP, "*", lit, watcher, AclOperation.DESCRIBE))
        acls.add(Acl(topic, "*", lit, watcher, AclOperation.DESCRIBE))  # end offsets of every topic, for lag
    return acls


def _wait(futures: dict, *, ignore: tuple[int, ...] = ()) -> None:
    for key, future in futures.items():
        try:
            future.result(timeout=30)
        except KafkaException as exc:
            err: KafkaError = exc.args[0]
            if err.code() not in ignore:
                raise RuntimeError(f"{key}: {err.str()}") from exc


def ensure_users(admin: AdminClient, passwords: dict[str, str]) -> None:
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192)
    upserts = [UserScramCredentialUpsertion(p, info, passwords[p].encode()) for p in principals()]
    _wait(admin.alter_user_scram_credentials(upserts))


def ensure_topics(admin: AdminClient) -> list[str]:
    existing = set(admin.list_topics(timeout=10).topics)
    new = [NewTopic(t.name, num_partitions=t.partitions, replication_factor=1, config=t.config)
           for t in all_topics() if t.name not in existing]
    if new:
        _wait(admin.create_topics(new), ignore=(KafkaError.TOPIC_ALREADY_EXISTS,))
    resources = [ConfigResource(ResourceType.TOPIC, t.name, incremental_configs=[
        ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in t.config.items()])
        for t in all_topics() if t.name in existing and t.config]
    if resources:
        _wait(admin.incremental_alter_configs(resources))
    return [t.topic for t in new]


def ensure_acls(admin: AdminClient, *, provisioned_before: bool = False) -> tuple[int, int]:
    """Make the broker's ACLs exactly the desired set; returns (created, deleted).

    A broker provisioned before (its topics existed) has ACLs: one that answers with none is still
    loading them under load, so it is asked again for a few seconds rather than re-granted all."""
    any_filter = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                  AclOperation.ANY, AclPermissionType.ANY)
    want = {a.binding() for a in desired_acls()}
    current = admin.describe_acls(any_filter).result(timeout=30)
    for _ in range(10):  # a broker under load may answer empty while its authorizer is still loading
        if current or not provisioned_before:
            break
        time.sleep(0.5)
        current = admin.describe_acls(any_filter).result(timeout=30)
    stale = [b for b in current if b not in want]
    missing = [b for b in want if b not in set(current)]
    if missing:
        _wait(admin.create_acls(missing))
    if stale:
        _wait(admin.delete_acls(stale))
    return len(missing), len(stale)


def provision_kafka(bootstrap: str, passwords: dict[str, str]) -> str:
    admin = admin_client(bootstrap, "admin", passwords["admin"])
    ensure_users(admin, passwords)
    created = ensure_topics(admin)
    added, removed = ensure_acls(admin, provisioned_before=len(created) < len(all_topics()))
    return f"{len(all_topics())} topics ({len(created)} new), {len(principals())} users, ACLs +{added}/-{removed}"


async def _provision_postgres(host: str, port: int, passwords: dict[str, str]) -> list[str]:
    import asyncpg

    conn = await asyncpg.connect(host=host, port=port, user="postgres",
                                 password=passwords["postgres"], database="postgres")
    made: list[str] = []
    try:
        for svc in SERVICES:
            pw = passwords[svc].replace("'", "''")
            if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", svc):
                await conn.execute(f"ALTER ROLE \"{svc}\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{pw}'")
            else:
                await conn.execute(f"CREATE ROLE \"{svc}\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{pw}'")
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", svc):
                await conn.execute(f'CREATE DATABASE "{svc}" OWNER "{svc}"')
                made.append(svc)
            # Only the owning role may connect: a service cannot read another service's database.
            await conn.execute(f'REVOKE ALL ON DATABASE "{svc}" FROM PUBLIC')
    finally:
        await conn.close()
    return made


def provision_postgres(host: str, port: int, passwords: dict[str, str]) -> str:
    made = asyncio.run(_provision_postgres(host, port, passwords))
    return f"{len(SERVICES)} databases and roles ({len(made)} new)"
