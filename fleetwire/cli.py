"""The `fleetwire` command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fleetwire import eventloop, logs
from fleetwire.errors import FleetwireError
from fleetwire.provision import provision
from fleetwire.settings import Settings
from fleetwire.tools.send import send
from fleetwire.tools.tail import tail
from ingress.main import run_ingress
from processors.dead_letter import Selection, as_utc
from processors.main import run_processor
from processors.replay import replay

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
    return parser


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
    if args.command == "ingress":
        return run_ingress(settings)
    if args.command == "process":
        return run_processor(settings, args.provider)
    if args.command == "topics":
        return _run(provision(settings, args.check))
    if args.command == "replay":
        selection = Selection(frozenset(args.kind or ()), args.since, args.until)
        return _run(replay(settings, args.provider, selection, dry_run=args.dry_run))
    if args.command == "send":
        return _run(send(settings, args.source, args.file, args.url))
    if args.command == "tail":
        return _run(tail(settings, args.pattern, args.from_beginning, args.limit))
    raise AssertionError(args.command)


def _moment(text: str) -> datetime:
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time; use RFC 3339, e.g. 2024-05-01T12:00:00Z"
        ) from None


def _run(coroutine: Coroutine[Any, Any, int]) -> int:
    return eventloop.run(coroutine)
