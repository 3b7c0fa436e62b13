"""Tune the learned recommender on the validation split only (never the test split).

A benchmark, not a test: it prints figures. Each configuration named on the command
line is trained with one loss and scored through the serving path on ``--split valid``:

    nice -n 15 .venv/bin/python benchmarks/tune_learned.py \
        --dataset ../shared/datasets/amazon-scientific default dimensions=128 id_min_count=3

A configuration is ``default`` or ``field=value[,field=value]`` over ``ModelConfig`` and
``TrainConfig`` fields (numbers and true/false are parsed).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path


def parse(spec: str) -> dict:
    if spec == "default":
        return {}
    overrides = {}
    for part in spec.split(","):
        name, _, raw = part.partition("=")
        if not raw:
            raise SystemExit(f"expected field=value, got {part!r}")
        value: object = raw
        if raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        else:
            for kind in (int, float):
                try:
                    value = kind(raw)
                    break
                except ValueError:
                    pass
        overrides[name] = value
    return overrides


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, type=Path)
    parser.add_argument("--loss", default="sampled_softmax")
    parser.add_argument("--json", type=Path, help="append one JSON line per configuration")
    parser.add_argument("configs", nargs="+")
    args = parser.parse_args(argv)

    from saleor_personalization.engine.evaluation.learned import LearnedScorer, default_config
    from saleor_personalization.engine.evaluation.runner import evaluate
    from saleor_personalization.offline.datasets import load_dataset

    data = load_dataset(args.dataset, split="valid")
    for spec in args.configs:
        scorer = LearnedScorer(default_config(**parse(spec)), losses=(args.loss,))
        result = evaluate(data, [scorer])
        metrics = result["methods"]["learned"]
        row = {"config": spec, "loss": args.loss, **metrics}
        print(json.dumps(row), flush=True)
        if args.json:
            with args.json.open("a") as out:
                out.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
