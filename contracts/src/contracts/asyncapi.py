"""AsyncAPI 3.0 documents, one per service, generated from the contracts.

`document(service)` lists every channel the service publishes to or subscribes to (`contracts.topics`):
its event topic, the topics it reads (the six ingress topics for intake), its dead-letter topic and,
for audit, every dead-letter topic. Each event type and version is its own message: the Envelope with
`type`, `schema_version` and `payload` fixed to that event's JSON Schema, and an example that the
event's own model accepts. Ingress topics carry `IngressMessage`, one message per kind of registration
(`body.source`) and for the jobseeker status change. Servers are the local broker and the Compose one;
the security scheme is SASL/SCRAM-SHA-512, as the broker demands.

Model schemas live in `components.schemas` (pydantic's `$defs` moved there, names made unique by
pydantic), so a payload's `$ref`s resolve inside the document. `make schemas` writes the documents;
each service serves its own at `/asyncapi.json` and renders it offline at `/asyncapi`. `make test`
validates every one with the official parser (`@asyncapi/parser`, tests/asyncapi).
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import models_json_schema

from contracts import ingress
from contracts.envelope import Envelope
from contracts.events.base import Event
from contracts.registry import CATALOGUE
from contracts.topics import CONSUMES, SERVICES, all_topics

ASYNCAPI_VERSION = "3.0.0"
DEFAULT_SERVERS: dict[str, tuple[str, str]] = {
    "local": ("localhost:19092", "The broker `make run` starts on this machine (deploy, profile dev)."),
    "compose": ("kafka:9092", "The broker of docker-compose.yml, as the services inside Compose reach it."),
}
_REF = "#/components/schemas/{model}"
INGRESS_SOURCES: dict[str, type[BaseModel]] = {
    "employment_region_jobseeker": ingress.JobseekerRegistration,
    "kela_notification": ingress.KelaNotification,
    "refugee_placement": ingress.RefugeePlacement,
    "municipal_newcomer_notice": ingress.NewcomerNotice,
    "authority_contact": ingress.AuthorityContact,
}
"""The registrations an organisation may put on its ingress topic (the person's own request is HTTP only)."""
DLQ_HEADERS = {
    "dlq.reason": "Why it can never succeed: fields and rule ids, never values.",
    "dlq.error": "The error's class, e.g. InvalidIngressMessage or Rejected.",
    "dlq.topic": "The topic the message was read from.",
    "dlq.partition": "Its partition there.",
    "dlq.offset": "Its offset there.",
    "dlq.consumer": "The consumer group that gave up on it.",
    "dlq.failed_at": "When (ISO 8601, UTC).",
    "dlq.redrives": "How often it has been redriven already.",
}
"""The headers `backbone.inbox` puts on every dead letter (`dlq.content` only on some)."""


def document(service: str, *, servers: Mapping[str, tuple[str, str]] = DEFAULT_SERVERS,
             senders: Mapping[str, Iterable[str]] | None = None, title: str | None = None,
             version: str = "1.0.0") -> dict[str, Any]:
    """The AsyncAPI 3.0 document of `service`. `senders` (intake's `domain.sources.SENDERS`, source ->
    organisations) narrows each ingress channel to the registrations its organisation may send."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
    schemas, refs = _schemas()
    builder = _Builder(refs, senders)
    topics = {t.name: t for t in all_topics()}
    publishes = [t.name for t in topics.values() if t.writer == service]
    # what it consumes, and its own dead letters (redrive reads them)
    subscribes = [*CONSUMES[service], *(t.name for t in topics.values() if t.writer == service
                                        and t.kind == "dead-letter" and service in t.readers)]
    builder.topics = topics
    for topic in dict.fromkeys(publishes + subscribes):
        builder.channel(topic)
    for topic in publishes:
        builder.operation(topic, "send")
    for topic in subscribes:
        builder.operation(topic, "receive")
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": title or service.capitalize(),
            "version": version,
            "description": f"The Kafka topics {service} writes and reads. Every message key is the client id "
                           "(ingress: any key). Payloads carry codes, dates and pseudonymous ids only; personal "
                           "data travels only sealed to intake's key (docs/ingress.md).",
        },
        "defaultContentType": "application/json",
        "servers": {name: {"host": host, "protocol": "kafka", "description": description,
                           "security": [{"$ref": "#/components/securitySchemes/scram"}]}
                    for name, (host, description) in servers.items()},
        "channels": builder.channels,
        "operations": builder.operations,
        "components": {
            "schemas": {name: schemas[name] for name in sorted(builder.used_schemas(schemas))},
            "messages": dict(sorted(builder.messages.items())),
            "securitySchemes": {"scram": {
                "type": "scramSha512",
                "description": "SASL/SCRAM-SHA-512 (security.protocol SASL_PLAINTEXT locally): each service and "
                               "organisation is its own principal; ACLs allow a principal to write only its own "
                               "topics and to read what contracts/topics.py lists for it."}},
        },
    }


class _Builder:
    def __init__(self, refs: Mapping[Any, dict[str, Any]], senders: Mapping[str, Iterable[str]] | None) -> None:
        self.refs, self.senders = refs, senders
        self.topics: dict[str, Any] = {}
        self.channels: dict[str, Any] = {}
        self.operations: dict[str, Any] = {}
        self.messages: dict[str, Any] = {}

    def channel(self, topic: str) -> None:
        kind, owner = self.topics[topic].kind, self.topics[topic].writer
        if kind == "event":
            names = [self._event_message(model) for model in _events_of(owner)]
            description = f"{owner}'s events, in the Envelope; the key is the client id. Kept forever."
        elif kind == "ingress":
            names = [self._ingress_message(source, model) for source, model in INGRESS_SOURCES.items()
                     if self._may_send(owner, source)]
            if owner == "employment-region":
                names.append(self._status_change_message())
            description = (f"What {owner} sends intake; only {owner}'s principal may write it. Kept 30 days. "
                           "The personal part is sealed to intake's key (HPKE, docs/ingress.md).")
        elif kind == "anchor":
            names = [self._anchor_message()]
            description = ("The audit trail's anchors: its head hash signed with Ed25519 by a key the database "
                           "does not hold. Only audit writes it; audit and operators read it. Kept forever.")
        else:
            names = [self._dead_letter_message()]
            description = (f"Messages {owner} could never apply, unchanged, with the reason in headers. "
                           "Read by audit and operators; redriven by " + owner + ".")
        self.channels[_id(topic)] = {"address": topic, "description": description,
                                     "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names}}

    def operation(self, topic: str, action: str) -> None:
        channel = _id(topic)
        self.operations[f"{action}-{channel}"] = {
            "action": action, "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{n}"} for n in self.channels[channel]["messages"]],
        }

    def _may_send(self, organisation: str, source: str) -> bool:
        return self.senders is None or organisation in {str(o) for o in self.senders.get(source, ())}

    def _event_message(self, model: type[Event]) -> str:
        name = f"{model.TYPE}.v{model.VERSION}"
        envelope = copy.deepcopy(self.refs["envelope"])
        envelope["properties"]["type"] = {"const": model.TYPE, "type": "string"}
        envelope["properties"]["schema_version"] = {"const": model.VERSION, "type": "integer"}
        envelope["properties"]["payload"] = self.refs[model]
        envelope["title"] = f"Envelope of {model.TYPE} v{model.VERSION}"
        self.messages[name] = {
            "name": name, "title": f"{model.TYPE} v{model.VERSION}",
            "summary": _first_line(model.__doc__),
            "contentType": "application/json",
            "payload": envelope,
            "examples": _examples(event_example(model), "Key: the client id."),
            "bindings": {"kafka": {"key": {"type": "string", "format": "uuid",
                                           "description": "The client id."}}},
        }
        return name

    def _ingress_message(self, source: str, model: type[BaseModel]) -> str:
        name = f"Registration.{source}"
        message = copy.deepcopy(self.refs["ingress"])
        message["properties"]["type"] = {"const": "Registration", "type": "string"}
        message["properties"]["body"] = self.refs[model]
        self.messages[name] = {
            "name": name, "title": f"Registration: {source}", "summary": _first_line(model.__doc__),
            "description": "`sealed` is the person (PersonalData as UTF-8 JSON) sealed to intake's public key "
                           "(GET /ingress/public-key) with HPKE, info = `ingress:<message_id>`.",
            "contentType": "application/json", "payload": message,
            "examples": _examples(ingress_example("Registration", _example(model))),
        }
        return name

    def _status_change_message(self) -> str:
        name = "JobseekerStatusChange"
        message = copy.deepcopy(self.refs["ingress"])
        message["properties"]["type"] = {"const": name, "type": "string"}
        message["properties"]["body"] = self.refs[ingress.JobseekerStatusChange]
        self.messages[name] = {
            "name": name, "title": "Jobseeker status change",
            "summary": _first_line(ingress.JobseekerStatusChange.__doc__),
            "description": "`sealed` is SealedIdentity ({\"identity_code\": ...}) sealed like a registration's person.",
            "contentType": "application/json", "payload": message,
            "examples": _examples(ingress_example(name, _example(ingress.JobseekerStatusChange))),
        }
        return name

    def _dead_letter_message(self) -> str:
        name = "DeadLetter"
        self.messages[name] = {
            "name": name, "title": "Dead letter",
            "summary": "The original message's bytes, unchanged (it may not even be JSON), or nothing.",
            "description": "When the message might hold personal data in clear (intake's ingress: anything that "
                           "is not a valid message with a sealed part that opens), the payload is empty and "
                           "`dlq.content` is `dropped`: only the metadata and the reason are kept.",
            "headers": {"type": "object", "required": list(DLQ_HEADERS),
                        "properties": {**{h: {"type": "string", "description": d} for h, d in DLQ_HEADERS.items()},
                                       "dlq.content": {"type": "string", "enum": ["dropped"],
                                                       "description": "Present when the payload was dropped."}}},
            "payload": {"description": "The bytes of the message that could not be applied, or empty."},
        }
        return name

    def _anchor_message(self) -> str:
        name = "Anchor"
        self.messages[name] = {
            "name": name, "title": "Audit trail anchor",
            "summary": "`statement` (canonical JSON: format audit-anchor/v1, seq, hash, signed_at) and its "
                       "Ed25519 `signature` (base64); AUDIT_ANCHOR_VERIFY_KEY verifies it.",
            "contentType": "application/json",
            "payload": {"type": "object", "required": ["statement", "signature"], "additionalProperties": False,
                        "properties": {"statement": {"type": "string"}, "signature": {"type": "string"}}},
        }
        return name

    def used_schemas(self, schemas: Mapping[str, Any]) -> set[str]:
        """The component schemas the messages refer to, transitively."""
        pending = _refs_in([self.messages])
        used: set[str] = set()
        while pending:
            name = pending.pop()
            if name not in used:
                used.add(name)
                pending |= _refs_in(schemas[name])
        return used


def _refs_in(value: Any) -> set[str]:
    return set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(value)))


def _id(topic: str) -> str:
    """A channel id the parser accepts: the topic name with dots and dashes as underscores."""
    return re.sub(r"[^A-Za-z0-9_]", "_", topic)


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n\n")[0].replace("\n", " ")


def _events_of(service: str) -> list[type[Event]]:
    """Every event type and version published on `service`'s topic (superseded versions included: they
    stay on the topic forever)."""
    return [CATALOGUE.model(t, v) for t in CATALOGUE.types() for v in CATALOGUE.versions(t)
            if CATALOGUE.model(t, v).published_by(service)]


@cache
def _schemas() -> tuple[dict[str, Any], dict[Any, dict[str, Any]]]:
    """Every model's JSON Schema in one namespace: (component schemas by name, a $ref per model)."""
    events = [CATALOGUE.model(t, v) for t in CATALOGUE.types() for v in CATALOGUE.versions(t)]
    models: list[type[BaseModel]] = [Envelope, ingress.IngressMessage, ingress.JobseekerStatusChange,
                                     ingress.PersonalData, ingress.SealedIdentity, *INGRESS_SOURCES.values(), *events]
    keys, top = models_json_schema([(m, "validation") for m in models], ref_template=_REF)
    schemas: dict[str, Any] = top.get("$defs", {})
    refs: dict[Any, dict[str, Any]] = {m: keys[(m, "validation")] for m in models}
    refs["envelope"] = copy.deepcopy(schemas[_name(refs[Envelope])])
    refs["ingress"] = copy.deepcopy(schemas[_name(refs[ingress.IngressMessage])])
    return schemas, refs


def _name(ref: dict[str, Any]) -> str:
    return ref["$ref"].rsplit("/", 1)[1]


_EXAMPLE_SEALED = "v2.ab071e7397840b37." + "Q0lQSEVSVEVYVA" * 6
"""The shape of a sealed part (base64url of enc || ciphertext); a real one is 48 bytes longer than the person."""
_CLIENT = "0190a6b8-2f3e-7c1a-9b2d-4e5f60718293"
_EXAMPLE_MESSAGE_ID = "0193e5a0-7d1c-7b6e-9a10-3c4d5e6f7a81"


def event_example(model: type[Event]) -> dict[str, Any] | None:
    """An Envelope carrying an example of `model` that the model itself accepts (None: no example)."""
    payload = _example(model)
    if payload is None:
        return None
    return {
        "event_id": "0193e5a0-7d1c-7b6e-9a10-3c4d5e6f7a80", "type": model.TYPE, "schema_version": model.VERSION,
        "occurred_at": "2026-11-30T08:15:00Z", "recorded_at": "2026-11-30T08:15:01Z",
        "producer": str(model.PRODUCER), "organisation": "raseborg", "actor": "system",
        "client_id": _CLIENT, "correlation_id": _EXAMPLE_MESSAGE_ID, "causation_id": None, "payload": payload,
    }


def _examples(payload: dict[str, Any] | None, summary: str | None = None) -> list[dict[str, Any]]:
    if payload is None:
        return []
    return [{"name": "example", "payload": payload} | ({"summary": summary} if summary else {})]


def ingress_example(type_: str, body: dict[str, Any] | None) -> dict[str, Any] | None:
    if body is None:
        return None
    return {"message_id": _EXAMPLE_MESSAGE_ID, "type": type_, "version": ingress.INGRESS_VERSION,
            "sent_at": "2026-11-30T09:30:00+02:00", "body": body,
            "sealed": _EXAMPLE_SEALED}


def _example(model: type[BaseModel]) -> dict[str, Any] | None:
    """An instance of `model` built from its JSON Schema that the model accepts (so its cross-field
    rules agree): every field first, then the required ones only. None when neither passes, so a new
    event with rules the schema cannot tell never breaks a service's start; the unit tests demand an
    example for every event, and `_EXAMPLE_OVERRIDES` supplies what the schema cannot."""
    schemas, refs = _schemas()
    overrides = _EXAMPLE_OVERRIDES.get(model.__name__, {})
    for required_only in (False, True):
        value = _from_schema(refs[model], schemas, required_only=required_only) | overrides
        try:
            TypeAdapter(model).validate_python(value)
        except ValidationError:
            continue
        return value
    return None


_EXAMPLE_OVERRIDES: dict[str, dict[str, Any]] = {
    "DeadlineMissed": {"rule": "R8"},  # the rule of the schema's first deadline
    "PlanExtended": {"rule": "R15", "previous_until": "2026-11-02", "until": "2027-11-02",  # R15: later, on a ground
                     "maximum_on": "2028-11-02", "policy": None, "interruption_id": None},
    "PlanDeadlineMissed": {"rule": "R10", "service_code": None},  # drawing up is R10's, for no one service
    "PlanImported": {"made_on": "2024-06-03", "first_starts_on": "2024-06-03", "starts_on": "2024-06-03",  # R18
                     "ends_on": "2027-06-02", "maximum_on": "2029-06-02", "maximum_rule": "R18",
                     "review_due_on": "2024-12-03"},
    "PlanRefusalRecorded": {"good_reason": False, "social_assistance_cut_possible": True},  # R25
    "NewcomerNotice": {"native_language": "ar"},  # a newcomer notice is for a foreign native language
}
"""Values the schema alone cannot tell (cross-field rules of the models); the model checks every example."""
_PATTERN_CANDIDATES = ("R2", "ab071e7397840b37", "course-101", "fi", "A1", "x1", "2026-11-02")
_FORMATS = {"uuid": _CLIENT, "date": "2026-11-02", "date-time": "2026-11-30T08:15:00Z", "email": "name@example.org"}


def _from_schema(schema: dict[str, Any], schemas: Mapping[str, Any],  # noqa: PLR0911 - one case per keyword
                 *, required_only: bool = False) -> Any:
    if "$ref" in schema:
        return _from_schema(schemas[_name(schema)], schemas, required_only=required_only)
    if "const" in schema:
        return schema["const"]
    if "examples" in schema:
        return schema["examples"][0]
    if schema.get("default") not in (None, [], {}):
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return _from_schema(options[0], schemas, required_only=required_only)
    kind = schema.get("type")
    if kind == "object":
        return {name: _from_schema(sub, schemas, required_only=required_only)
                for name, sub in schema.get("properties", {}).items()
                if not required_only or name in schema.get("required", ())}
    if kind == "array":
        return [_from_schema(schema.get("items", {}), schemas, required_only=required_only)
                for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "string":
        if "pattern" in schema:
            return next(c for c in (*_PATTERN_CANDIDATES, "x" * max(1, schema.get("minLength", 1)))
                        if re.search(schema["pattern"], c))
        return _FORMATS.get(schema.get("format", ""), "x" * max(1, schema.get("minLength", 1)))
    if kind == "integer":
        return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    return None


def main(argv: list[str]) -> int:
    """`python -m contracts.asyncapi SERVICE`: print the service's document."""
    if len(argv) != 1:
        print("usage: python -m contracts.asyncapi SERVICE", file=sys.stderr)
        return 2
    print(json.dumps(document(argv[0]), indent=2, sort_keys=True, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
