"""Entry point of the ``saleor-personalization`` command."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from . import check_rewrite, db, demo, evaluate, rewrite


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="saleor-personalization",
        description="Language-model recommendations for Saleor, on PostgreSQL + pgvector.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo.add_parser(subparsers)
    evaluate.add_parser(subparsers)
    db.add_parser(subparsers)
    check_rewrite.add_parser(subparsers)
    rewrite.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    # Models ship inside packages; never reach for a hub unless the user asks.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from django.db import Error as DatabaseError

    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except DatabaseError as exc:
        print(f"error: database: {exc}".rstrip(), file=sys.stderr)
        return 1
    except (ValueError, LookupError, RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
