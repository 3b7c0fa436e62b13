"""Benchmark: training time and peak memory of the learned recommender vs data size,
and the latency of the numpy forward pass that serves it.

A benchmark, not a test: it asserts nothing and prints figures. See benchmarks/README.md.

    nice -n 15 .venv/bin/python benchmarks/bench_training.py \
        [--dataset DIR] [--fractions 0.25 0.5 1.0] [--epochs 8] [--json FILE]

Each fraction of the dataset's shoppers (a seeded sample; their whole training
sequences) trains in a fresh child process with one torch thread, so its peak
resident memory is its own. Training runs a fixed number of epochs (no early
stopping) so times compare across sizes; the early-stopped run of ``evaluate``
stops where validation says. Importing torch is timed apart; ``added MB`` is the
peak above the process with data and torch loaded. The last child times the numpy shopper vector
(one BLAS thread) over histories of several lengths with the model it trained.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

DATASET = Path("/work/shared/datasets/amazon-scientific")
SEED = 7
LATENCY_CALLS = 300
LATENCY_LENGTHS = (1, 5, 20, 50)
# Threads for BLAS in the children; set before numpy loads there.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def subsample(data: Any, fraction: float) -> Any:
    """The training data of a seeded ``fraction`` of its shoppers (all items kept)."""
    from saleor_personalization.engine.learned import TrainingData

    rng = np.random.default_rng(SEED)
    count = max(1, round(len(data.sequences) * fraction))
    keep = np.sort(rng.choice(len(data.sequences), count, replace=False))
    sequences = [data.sequences[i] for i in keep]
    # Validation cases carry no shopper; the same share of them keeps its cost in proportion.
    validation = data.validation[: max(1, round(len(data.validation) * fraction))]
    return TrainingData(
        item_ids=data.item_ids, text_vectors=data.text_vectors, sequences=sequences,
        validation=validation,
    )


def latency(model: Any, data: Any) -> dict[str, dict[str, float]]:
    """Milliseconds per numpy shopper vector (p50, p99) for several history lengths."""
    encoder = model.encoder()
    rng = np.random.default_rng(SEED)
    out = {}
    for length in LATENCY_LENGTHS:
        times = []
        for _ in range(LATENCY_CALLS):
            rows = rng.integers(0, data.n_items, size=length)
            ids = data.item_ids[rows].tolist()
            text = data.text_vectors[rows]
            started = time.perf_counter()
            encoder.shopper_vector(ids, ["purchase"] * length, text)
            times.append((time.perf_counter() - started) * 1000.0)
        out[str(length)] = {
            "p50_ms": round(float(np.percentile(times, 50)), 3),
            "p99_ms": round(float(np.percentile(times, 99)), 3),
        }
    started = time.perf_counter()
    encoder.item_vectors(data.item_ids.tolist(), data.text_vectors)
    out["item_vectors_per_1000_ms"] = round(
        (time.perf_counter() - started) * 1000.0 * 1000 / data.n_items, 2
    )
    return out


def child(dataset: Path, fraction: float, epochs: int, measure_latency: bool) -> dict[str, Any]:
    """Train on one fraction in this process; return its figures."""
    from saleor_personalization.engine.encoder import EncoderConfig
    from saleor_personalization.engine.evaluation.learned import default_config, training_data
    from saleor_personalization.engine.evaluation.text_cache import (
        default_cache_dir,
        encode_cached,
    )
    from saleor_personalization.engine.learned import train
    from saleor_personalization.engine.learned.batches import windows
    from saleor_personalization.engine.learned.resources import Usage, resident_bytes
    from saleor_personalization.offline import load_dataset

    evaluation = load_dataset(dataset, split="valid")
    text = encode_cached(evaluation.item_texts, EncoderConfig(), default_cache_dir())
    data = subsample(training_data(evaluation, text), fraction)
    started = time.perf_counter()
    import saleor_personalization.engine.learned.training  # noqa: F401  (torch, timed apart)

    import_seconds = time.perf_counter() - started
    base_mb = resident_bytes() / 2**20
    config = replace(default_config(), epochs=epochs, patience=epochs, threads=1, device="cpu")
    with Usage() as usage:
        model = train(data, config)
    result: dict[str, Any] = {
        "fraction": fraction,
        "shoppers": len(data.sequences),
        "interactions": int(sum(len(s) for s in data.sequences)),
        "windows": len(windows(data, config.model.max_length).items),
        "items": data.n_items,
        "epochs": len(model.history),
        "seconds": round(usage.seconds, 1),
        "seconds_per_epoch": round(usage.seconds / max(len(model.history), 1), 2),
        "torch_import_seconds": round(import_seconds, 1),
        "peak_mb": round(usage.peak_mb, 1),
        "added_mb": round(usage.peak_mb - base_mb, 1),
        "validation_ndcg@10": model.metrics["ndcg@10"],
    }
    if measure_latency:
        result["numpy_latency"] = latency(model, data)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--json", type=Path, metavar="FILE")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--latency", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.dataset, args.child, args.epochs, args.latency)))
        return
    results = []
    for index, fraction in enumerate(args.fractions):
        log(f"training on {fraction:.0%} of the shoppers ({args.epochs} epochs)")
        command = [sys.executable, __file__, "--dataset", str(args.dataset), "--epochs",
                   str(args.epochs), "--child", str(fraction)]
        if index == len(args.fractions) - 1:
            command.append("--latency")
        done = subprocess.run(command, env={**os.environ, **ONE_THREAD}, check=True,
                              capture_output=True, text=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        log(f"  {results[-1]}")
    print(f"{'fraction':>8} {'shoppers':>8} {'inter.':>7} {'windows':>7} {'epochs':>6} "
          f"{'s/epoch':>8} {'total s':>8} {'import s':>8} {'peak MB':>8} {'added MB':>8} "
          f"{'val NDCG':>8}")
    for r in results:
        print(f"{r['fraction']:>8} {r['shoppers']:>8} {r['interactions']:>7} {r['windows']:>7} "
              f"{r['epochs']:>6} {r['seconds_per_epoch']:>8} {r['seconds']:>8} "
              f"{r['torch_import_seconds']:>8} {r['peak_mb']:>8} {r['added_mb']:>8} "
              f"{r['validation_ndcg@10']:>8}")
    latencies = results[-1].get("numpy_latency", {})
    for length in LATENCY_LENGTHS:
        figures = latencies.get(str(length))
        if figures:
            print(f"numpy shopper vector, {length:>2} events: p50 {figures['p50_ms']} ms, "
                  f"p99 {figures['p99_ms']} ms (1 BLAS thread)")
    if "item_vectors_per_1000_ms" in latencies:
        print(f"numpy product vectors: {latencies['item_vectors_per_1000_ms']} ms per 1,000")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
