"""``saleor-personalization evaluate``: offline evaluation on public data."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from ..engine.encoder import DEFAULT_MODEL

    parser = subparsers.add_parser(
        "evaluate",
        help="compare recommenders offline on a public dataset",
        description="Leave-one-out evaluation with full ranking. Reads UniSRec-style atomic "
        "files (e.g. Amazon Scientific), RecBole atomic files (<name>.inter + <name>.item) or "
        "MovieLens (ratings + movies as .csv or .dat, "
        "or ml-100k's u.data + u.item).",
    )
    parser.add_argument("--dataset", required=True, type=Path, help="dataset folder")
    parser.add_argument("--split", choices=["test", "valid"], default="test")
    parser.add_argument("--k", type=int, default=10, help="list length (default 10)")
    parser.add_argument(
        "--methods", nargs="+", default=["popularity", "itemknn", "content"],
        metavar="METHOD",
        help="popularity, itemknn, content, learned, sasrec-id, separated by spaces or "
        "commas (default: popularity itemknn content)",
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help="embedding model for 'content' and 'learned'"
    )
    parser.add_argument(
        "--cold-threshold", type=int, default=5, metavar="N",
        help="the cold slice: test users whose target has at most N training interactions",
    )
    parser.add_argument(
        "--cache-dir", type=Path, metavar="DIR",
        help="where encoded item texts are cached (default: $SALEOR_PERSONALIZATION_CACHE "
        "or ~/.cache/saleor-personalization)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="encode item texts afresh, cache nothing"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--report", type=Path, metavar="DIR", help="write report.md and metrics.png")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.encoder import EncoderConfig
    from ..engine.evaluation import METHODS, evaluate
    from ..engine.evaluation.content import ContentScorer
    from ..engine.evaluation.learned import LearnedScorer
    from ..engine.evaluation.text_cache import default_cache_dir
    from ..offline import load_dataset, write_report

    methods = [name.strip() for arg in args.methods for name in arg.split(",") if name.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(
            f"unknown method(s) {', '.join(unknown) or repr(' '.join(args.methods))}; "
            f"choose from {', '.join(METHODS)}"
        )
    if len(set(methods)) != len(methods):
        raise ValueError("each method may be named once")
    data = load_dataset(args.dataset, split=args.split)
    interactive = not args.json
    text_options = {
        "encoder_config": EncoderConfig(model=args.model),
        "show_progress": interactive and sys.stderr.isatty(),
        "cache_dir": None if args.no_cache else (args.cache_dir or default_cache_dir()),
    }
    scorers = [
        METHODS[name](**text_options)
        if isinstance(METHODS[name], type) and issubclass(METHODS[name], (ContentScorer, LearnedScorer))
        else METHODS[name]()
        for name in methods
    ]
    result = evaluate(
        data, scorers, k=args.k, progress=None if args.json else _RankingProgress(),
        cold_threshold=args.cold_threshold,
    )
    result["split"] = args.split
    if args.json:
        print(json.dumps(result))
    else:
        _print_table(result)
    if args.report:
        report, chart = write_report(result, args.report)
        if not args.json:
            print(f"\nReport: {report}\nChart:  {chart}")
    return 0


class _RankingProgress:
    """One progress bar per method, fed by the runner's batch callback."""

    def __init__(self) -> None:
        self._bars: dict[str, object] = {}

    def __call__(self, method: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self._bars.get(method)
        if bar is None:
            # disable=None: silent when stderr is not a terminal.
            bar = self._bars[method] = tqdm(total=total, desc=f"Ranking ({method})", disable=None)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()


def _print_table(result: dict) -> None:
    k = result["k"]
    print(
        f"{result['dataset']} ({result['split']} split): {result['users']} users, "
        f"{result['items']} items, k={k}; cold slice: {result['cold_users']} users whose "
        f"target has <= {result['cold_threshold']} training interactions"
    )
    columns = list(next(iter(result["methods"].values())))
    width = max(11, *(len(c) + 2 for c in columns))
    print(f"{'method':<12}" + "".join(f"{c:>{width}}" for c in columns))
    for name, metrics in result["methods"].items():
        print(f"{name:<12}" + "".join(f"{metrics[c]:>{width}}" for c in columns))
    for name, details in result.get("details", {}).items():
        for loss, values in details.get("losses", {}).items():
            print(f"  {name} trained with {loss}: validation {values}")
        if "chosen_loss" in details:
            print(f"  {name} kept {details['chosen_loss']}")
