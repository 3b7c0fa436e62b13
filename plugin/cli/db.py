"""``saleor-personalization db url|start|stop``: the embedded PostgreSQL."""

from __future__ import annotations

import argparse
import os

from ..standalone import embedded_db


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    try:
        where = str(embedded_db.data_dir())
    except embedded_db.EmbeddedDatabaseError:
        # The standalone extra is missing; every other command still works.
        where = "a folder of the user's"
    parser = subparsers.add_parser(
        "db",
        help="manage the embedded PostgreSQL (ignored when DATABASE_URL is set)",
        description=f"The embedded PostgreSQL keeps its data in {where} "
        f"(set {embedded_db.HOME_ENV} to move it).",
    )
    parser.add_argument("action", choices=["url", "start", "stop"])
    parser.add_argument(
        "--database",
        default=embedded_db.DATABASE_NAME,
        help=f"the database to create (start) or name (url); default {embedded_db.DATABASE_NAME}",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if os.environ.get("DATABASE_URL") and args.action != "stop":
        print(os.environ["DATABASE_URL"])
        return 0
    if args.action == "start":
        print(embedded_db.start(args.database))
        return 0
    if args.action == "url":
        url = embedded_db.url(args.database)
        if url is None:
            print("the embedded database is not running: saleor-personalization db start")
            return 1
        print(url)
        return 0
    stopped = embedded_db.stop()
    print("stopped" if stopped else "the embedded database was not running")
    return 0
