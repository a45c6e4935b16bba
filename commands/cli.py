"""The `fleetwire` command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from commands.acls import Authentication, Format, render
from commands.provision import provision
from commands.send import send
from commands.tail import tail
from fleetwire import eventloop, logs
from fleetwire.acls import Role, acl_plan, parse_principal
from fleetwire.errors import ConfigError, FleetwireError
from fleetwire.settings import Settings
from ingress.main import run_ingress
from poll.main import run_poller
from processors.dead_letter import Selection, as_utc
from processors.main import run_processor
from processors.replay import replay
from providers import scaffold
from providers.listing import listing
from providers.registry import installed

log = logging.getLogger("fleetwire")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fleetwire",
        description="Vehicle-telematics webhooks in, one canonical event stream on Kafka out. "
        "Configured by environment variables (see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("ingress", help="run the HTTP ingress")
    process = commands.add_parser("process", help="run a processor (consumer group member)")
    process.add_argument(
        "--provider",
        action="append",
        metavar="NAME",
        help="provider to process (repeatable; default: all)",
    )
    poll = commands.add_parser("poll", help="poll the pull sources (Geotab) into Kafka")
    poll.add_argument(
        "--source", action="append", metavar="NAME", help="only this source (repeatable)"
    )
    topics = commands.add_parser(
        "topics", help="create the topics the pipeline uses and apply their declared settings"
    )
    topics.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if any topic is missing or differs",
    )
    replaying = commands.add_parser(
        "replay",
        help="send dead-lettered records back through processing (each one once)",
        description="Send dead-lettered records back to their raw topic for processing. "
        "Each dead letter is replayed at most once, however often this runs.",
    )
    replaying.add_argument(
        "--provider",
        action="append",
        metavar="NAME",
        help="replay this provider's dead letters (repeatable; default: all)",
    )
    replaying.add_argument(
        "--kind",
        action="append",
        metavar="KIND",
        help="only dead letters of this error kind, e.g. unsupported-event (repeatable)",
    )
    replaying.add_argument(
        "--since",
        type=_moment,
        metavar="TIME",
        help="only dead letters that failed at or after TIME (RFC 3339; UTC if no offset)",
    )
    replaying.add_argument(
        "--until", type=_moment, metavar="TIME", help="only dead letters that failed before TIME"
    )
    replaying.add_argument(
        "--dry-run", action="store_true", help="list what would be replayed; write nothing"
    )
    send = commands.add_parser("send", help="sign a payload file as SOURCE's provider and post it")
    send.add_argument("source", help="source name from the sources file")
    send.add_argument("file", type=Path, help="payload file, sent byte for byte")
    send.add_argument("--url", help="webhook URL (default: local ingress /webhooks/SOURCE)")
    tail = commands.add_parser("tail", help="print canonical events as they arrive")
    tail.add_argument(
        "pattern", nargs="?", default="*", help="event type glob, e.g. 'vehicle.trip.*'"
    )
    tail.add_argument("--from-beginning", action="store_true", help="start at the oldest event")
    tail.add_argument("--limit", type=int, help="stop after this many events")
    _acls_parser(commands)
    commands.add_parser(
        "providers",
        help="list the installed providers: where each comes from, how it signs, what it makes",
    )
    _provider_parser(commands)
    return parser


def _provider_parser(commands: Any) -> None:
    provider = commands.add_parser("provider", help="work on a provider of your own")
    actions = provider.add_subparsers(dest="action", required=True, metavar="ACTION")
    new = actions.add_parser(
        "new",
        help="write a plugin distribution for a new provider NAME, ready to pip install",
        description="Write an installable plugin distribution for a new provider NAME: a "
        "working example provider (HMAC-SHA256 webhooks), its sample and golden file, its "
        "tests and a README saying how to develop, test, install and register it.",
    )
    new.add_argument("name", metavar="NAME", help="the provider's name, e.g. acme")
    new.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where to write it (default: ./fleetwire-provider-NAME)",
    )


def _acls_parser(commands: Any) -> None:
    acls = commands.add_parser(
        "acls",
        help="print each role's least-privilege Kafka ACLs for FLEETWIRE_TOPIC_PREFIX",
        description="Print the minimal Kafka ACLs of each role (ingress, processor, replay, "
        "topics, consumer, poller) for FLEETWIRE_TOPIC_PREFIX, as kafka-acls commands to run as a "
        "super-user, or as Strimzi KafkaUser resources. Changes nothing.",
    )
    acls.add_argument(
        "--format",
        choices=[f.value for f in Format],
        default=Format.COMMANDS.value,
        help="kafka-acls commands (default) or Strimzi KafkaUser YAML",
    )
    acls.add_argument(
        "--role",
        action="append",
        choices=[r.value for r in Role],
        help="only this role (repeatable; default: every role)",
    )
    acls.add_argument(
        "--principal",
        action="append",
        default=[],
        metavar="ROLE=NAME",
        help="the role's principal (repeatable; default: User:fleetwire-ROLE)",
    )
    acls.add_argument(
        "--consumer-group",
        metavar="NAME",
        help="the downstream consumer's group (default: PREFIX.consumer)",
    )
    acls.add_argument(
        "--command-config",
        default="admin.properties",
        metavar="FILE",
        help="the super-user's client settings file the commands name (default: %(default)s)",
    )
    acls.add_argument(
        "--strimzi-cluster",
        metavar="NAME",
        help="the Kafka cluster's name for the strimzi.io/cluster label (needed by --format "
        "strimzi)",
    )
    acls.add_argument(
        "--authentication",
        choices=[a.value for a in Authentication],
        default=Authentication.SCRAM_SHA_512.value,
        help="the KafkaUsers' authentication (default: %(default)s)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        logs.configure(settings.log_format, settings.log_level)
        return _dispatch(args, settings)
    except FleetwireError as exc:
        print(f"fleetwire: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    return COMMANDS[args.command](args, settings)


def _process(args: argparse.Namespace, settings: Settings) -> int:
    registry = installed()
    chosen = registry.select(args.provider)
    return run_processor(settings, {name: registry.get(name).normalizer for name in chosen})


def _replay(args: argparse.Namespace, settings: Settings) -> int:
    selection = Selection(frozenset(args.kind or ()), args.since, args.until)
    providers = installed().select(args.provider)
    return _run(replay(settings, providers, selection, dry_run=args.dry_run))


def _print_acls(args: argparse.Namespace, settings: Settings) -> int:
    output = Format(args.format)
    if output is Format.STRIMZI and not args.strimzi_cluster:
        raise ConfigError(
            "--format strimzi needs --strimzi-cluster NAME: the User Operator only manages "
            "KafkaUsers labelled with their Kafka cluster's name"
        )
    plan = acl_plan(
        settings.topic_prefix,
        [Role(r) for r in args.role or Role],
        dict(parse_principal(p) for p in args.principal),
        args.consumer_group,
    )
    text = render(
        plan,
        output,
        bootstrap_servers=settings.bootstrap_servers,
        command_config=args.command_config,
        cluster=args.strimzi_cluster or "",
        authentication=Authentication(args.authentication),
    )
    sys.stdout.write(text)
    return 0


def _print_providers() -> int:
    sys.stdout.write(listing(installed()))
    return 0


def _new_provider(args: argparse.Namespace) -> int:
    taken = {e.provider.name: f"{e.distribution} {e.version}" for e in installed().entries()}
    directory = scaffold.write(args.name, args.out, taken)
    print(
        f"wrote {directory}/: the {args.name} provider as a plugin distribution.\n"
        f"next: pip install -e '{directory}[test]', then pytest in {directory}; "
        "its README.md says how to register a source"
    )
    return 0


def _moment(text: str) -> datetime:
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time; use RFC 3339, e.g. 2024-05-01T12:00:00Z"
        ) from None


def _run(coroutine: Coroutine[Any, Any, int]) -> int:
    return eventloop.run(coroutine)


Command = Callable[[argparse.Namespace, Settings], int]
COMMANDS: dict[str, Command] = {
    "ingress": lambda args, settings: run_ingress(settings, installed().ingress_verifiers),
    "process": _process,
    "poll": lambda args, settings: run_poller(settings, args.source, installed().polled),
    "topics": lambda args, settings: _run(provision(settings, args.check)),
    "replay": _replay,
    "send": lambda args, settings: _run(send(settings, args.source, args.file, args.url)),
    "tail": lambda args, settings: _run(
        tail(settings, args.pattern, args.from_beginning, args.limit)
    ),
    "acls": _print_acls,
    "providers": lambda args, settings: _print_providers(),
    "provider": lambda args, settings: _new_provider(args),
}
