"""`python -m deploy up|down|status|logs|env` — the local infrastructure without Docker (and, for
Compose, `compose-init` and `provision`)."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from contracts.topics import SERVICES
from deploy import console, containers, kafka, postgres, procs, provision, secrets, services, tools
from deploy.chromium import ensure_chromium
from deploy.config import Layout
from deploy.errors import DeployError


def up(layout: Layout, *, with_services: bool, browser: bool = False) -> dict:
    tools.ensure_tools()
    creds = secrets.load_or_create(layout.secrets_file)
    print(f"PostgreSQL: {postgres.start(layout, creds['postgres']['postgres'])}", flush=True)
    print(f"Kafka {kafka.kafka_version()}: {kafka.start(layout, creds['kafka'])}", flush=True)
    postgres.wait_ready(layout, creds["postgres"]["postgres"])
    kafka.wait_ready(layout, creds["kafka"]["admin"])
    print(f"Kafka provisioned: {provision.provision_kafka(layout.bootstrap, creds['kafka'])}", flush=True)
    print(f"PostgreSQL provisioned: {provision.provision_postgres(layout.host, layout.pg_port, creds['postgres'])}", flush=True)
    if with_services:
        for svc, what in services.start_all(layout, creds).items():
            print(f"{svc}: {what}", flush=True)
        services.wait_healthy(layout)
        print(console.register_redrive_credentials(layout, creds), flush=True)
    if browser:
        ensure_chromium()  # the browser tests of the public guide and the operator console
    status(layout)
    return creds


def down(layout: Layout, *, purge: bool = False) -> None:
    for svc in services.stop_all(layout):
        print(f"{svc}: stopped")
    print(f"Kafka: {'stopped' if kafka.stop(layout) else 'was not running'}")
    print(f"PostgreSQL: {'stopped' if postgres.stop(layout) else 'was not running'}")
    if purge:
        shutil.rmtree(layout.home, ignore_errors=True)
        print(f"removed {layout.home}")


def status(layout: Layout) -> bool:
    kafka_up = procs.read_pid(kafka.pidfile(layout)) is not None and procs.port_open(layout.host, layout.kafka_port)
    pg_up = postgres.running(layout)
    print(f"state folder : {layout.home}")
    print(f"kafka        : {'up  ' if kafka_up else 'down'} {layout.bootstrap} (SASL_PLAINTEXT, SCRAM-SHA-512)"
          f"  log {layout.logs / 'kafka.log'}")
    print(f"postgresql   : {'up  ' if pg_up else 'down'} {layout.host}:{layout.pg_port}"
          f"  log {layout.logs / 'postgres.log'}")
    for svc in SERVICES:
        running = procs.read_pid(services.pidfile(layout, svc)) is not None
        state = ("up  " if services.healthy(layout, svc) else "starting") if running else "down"
        print(f"{svc:<13}: {state} {services.url(layout, svc)}/healthz  log {layout.logs / (svc + '.log')}")
    print(f"credentials  : {layout.secrets_file} (generated here, mode 600)")
    return kafka_up and pg_up


def logs(layout: Layout, name: str, follow: bool) -> None:
    path = layout.logs / {"kafka": "kafka.log", "postgres": "postgres.log"}.get(name, f"{name}.log")
    if not path.exists():
        raise DeployError(f"no log at {path}")
    subprocess.run(["tail", "-n", "200", *(["-F"] if follow else []), str(path)])


def env(layout: Layout, service: str) -> None:
    creds = secrets.load_or_create(layout.secrets_file)
    for key, value in services.local_env(layout, service, creds).items():
        print(f"export {key}='{value}'")


def provision_remote(args: argparse.Namespace) -> None:
    creds = json.loads(args.secrets.read_text())
    kafka.wait_for_metadata(args.bootstrap, creds["kafka"]["admin"], timeout=120)
    print(f"Kafka provisioned: {provision.provision_kafka(args.bootstrap, creds['kafka'])}", flush=True)
    print(f"PostgreSQL provisioned: {provision.provision_postgres(args.pg_host, args.pg_port, creds['postgres'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__)
    parser.add_argument("--profile", choices=("dev", "test", "bench"), default="dev",
                        help="dev (make run), test (the test suite's) or bench (the benchmarks'): each has its "
                             "own state folder and ports")
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start Kafka and PostgreSQL (idempotent), provision, optionally services")
    p_up.add_argument("--services", action="store_true", help="also start the six services")
    p_down = sub.add_parser("down", help="stop everything (data is kept)")
    p_down.add_argument("--purge", action="store_true", help="also delete the state folder")
    sub.add_parser("status", help="what runs where")
    p_logs = sub.add_parser("logs", help="show a log: kafka, postgres or a service name")
    p_logs.add_argument("name", choices=("kafka", "postgres", *SERVICES))
    p_logs.add_argument("-f", "--follow", action="store_true")
    p_env = sub.add_parser("env", help="print a service's settings as shell exports")
    p_env.add_argument("service", choices=SERVICES)
    p_cc = sub.add_parser("client-config", help="write a Kafka client.properties for PRINCIPAL (mode 600), "
                          "for kafka-console-consumer, kafka-consumer-groups, ...")
    p_cc.add_argument("principal")
    p_cc.add_argument("--out", type=Path, help="where to write it (default: <state folder>/PRINCIPAL.properties)")
    p_init = sub.add_parser("compose-init", help="(Compose) write secrets, broker config and service settings")
    p_init.add_argument("out", type=Path)
    p_prov = sub.add_parser("provision", help="(Compose) create users, topics, ACLs, databases and roles")
    p_prov.add_argument("--secrets", type=Path, required=True)
    p_prov.add_argument("--bootstrap", required=True)
    p_prov.add_argument("--pg-host", required=True)
    p_prov.add_argument("--pg-port", type=int, default=5432)
    args = parser.parse_args(argv)
    layout = Layout.from_env(profile=args.profile)
    try:
        if args.command == "up":
            up(layout, with_services=args.services, browser=args.profile == "test")
        elif args.command == "down":
            down(layout, purge=args.purge)
        elif args.command == "status":
            return 0 if status(layout) else 3
        elif args.command == "logs":
            logs(layout, args.name, args.follow)
        elif args.command == "env":
            env(layout, args.service)
        elif args.command == "client-config":
            creds = secrets.load_or_create(layout.secrets_file)
            out = args.out or layout.home / f"{args.principal}.properties"
            print(console.write_client_config(layout.bootstrap, creds, args.principal, out))
        elif args.command == "compose-init":
            containers.compose_init(args.out)
        elif args.command == "provision":
            provision_remote(args)
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
