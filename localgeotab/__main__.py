"""`python -m localgeotab`: a local MyGeotab server with a live demo fleet.

    python -m localgeotab --port 8110 --devices 5 --per-second 2

Log in with database `demo`, user `demo@example.com`, password `demo-password`.
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime, timedelta

from aiohttp import web

from localgeotab.fleet import DEFAULT_SPACING, START, Fleet
from localgeotab.server import MyGeotab


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m localgeotab", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument("--devices", type=int, default=5)
    parser.add_argument(
        "--entities", type=int, default=None, help="entities per feed (default: endless)"
    )
    parser.add_argument(
        "--per-second",
        type=float,
        default=1.0,
        help="new entities per feed and second (0: all of them at once)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s localgeotab %(message)s")
    live = args.per_second > 0
    fleet = Fleet(
        devices=args.devices,
        entities=args.entities,
        per_second=args.per_second if live else None,
        # A live fleet's entities happen as they appear, so their age is real.
        spacing=timedelta(seconds=1 / args.per_second) if live else DEFAULT_SPACING,
        start=datetime.now(UTC) if live else START,
    )
    web.run_app(MyGeotab(fleet).app(), host=args.host, port=args.port, access_log=None)


if __name__ == "__main__":
    main()
