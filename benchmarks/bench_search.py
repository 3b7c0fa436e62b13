"""Benchmark: filtered similarity search through the store vs. its raw SQL, and encoding.

A benchmark, not a test: it asserts nothing and prints figures. See benchmarks/README.md.

    .venv/bin/python benchmarks/bench_search.py [--sizes 10000 100000] [--queries 200] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

DIMENSIONS = 384
K = 10
WARMUP_QUERIES = 10
CHUNK = 5000
SEED = 2024
# Per-dimension noise: a member's cosine to its cluster centre is about 0.7 and to
# another member about 0.5, roughly like product embeddings of one category.
CLUSTER_NOISE = 0.05
QUERY_NOISE = 0.05
VECTORS_PER_CLUSTER = 50
BENCH_DATABASE = "personalization_bench"
LISTING_TABLE = "bench_channel_listing"
CHANNELS = {"half": 0.5, "tenth": 0.1, "hundredth": 0.01}
ENCODE_TEXTS = 2000
ENCODE_ROUNDS = 3
ENCODE_BATCH = 64
ENCODE_SLICE = 250
# Which call goes first alternates, so drift in machine load hits both sides alike.
TURNS = (("api", "raw"), ("raw", "api"))
ENCODE_TURNS = (("engine", "raw"), ("raw", "engine"))
SCIENTIFIC_TEXT = Path("/work/shared/datasets/amazon-scientific/Scientific.text")
SHOP_JSON = Path(__file__).resolve().parent.parent / "plugin" / "sample_data" / "shop.json"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """(milliseconds, result) of one call."""
    started = time.perf_counter()
    value = call()
    return (time.perf_counter() - started) * 1000.0, value


def connect_database() -> str:
    """Configure Django on the bench database; the store modules import only after this."""
    from saleor_personalization.standalone import embedded_db, setup

    url = os.environ.get("DATABASE_URL") or embedded_db.start(BENCH_DATABASE)
    if os.environ.get("DATABASE_URL"):
        log(f"{'!' * 78}\n!! DATABASE_URL is set: benchmarking THAT database, not "
            f"'{BENCH_DATABASE}'.\n!! Every embedding space in it is DELETED now.\n{'!' * 78}")
    setup.configure(url)
    from django.db import connection

    connection.ensure_connection()
    # pgvector reports e.g. "hnsw graph no longer fits into maintenance_work_mem" as a notice.
    connection.connection.add_notice_handler(_log_notice)
    return url


def _log_notice(diag: Any) -> None:
    message = diag.message_primary or ""
    if not message.endswith(", skipping"):  # IF [NOT] EXISTS chatter
        log(f"  postgres {diag.severity}: {message}")


def execute(sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def reset_database() -> None:
    from saleor_personalization.models import EmbeddingSpace

    # Deleting a space row leaves its partial HNSW index behind; drop them all first.
    for (name,) in execute(
        "SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["personalization\\_hnsw\\_%"]
    ):
        execute(f'DROP INDEX IF EXISTS "{name}"')
    EmbeddingSpace.objects.all().delete()
    execute(f"DROP TABLE IF EXISTS {LISTING_TABLE}")


def normalise(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def make_vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors from a mixture of ~n/50 gaussian clusters around random unit centres."""
    centres = normalise(rng.standard_normal((max(1, n // VECTORS_PER_CLUSTER), DIMENSIONS)))
    labels = rng.integers(len(centres), size=n)
    noisy = centres[labels] + CLUSTER_NOISE * rng.standard_normal((n, DIMENSIONS))
    return normalise(noisy).astype(np.float32)


def make_queries(vectors: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    picked = vectors[rng.integers(len(vectors), size=count)]
    return normalise(picked + QUERY_NOISE * rng.standard_normal(picked.shape)).astype(np.float32)


def load_space(vectors: np.ndarray) -> tuple[float, float]:
    """Store product ids 1..n in a new space, index and activate it: (load s, index s)."""
    from saleor_personalization.store import spaces
    from saleor_personalization.store.django_store import DjangoStore

    n = len(vectors)
    space = spaces.create_space(f"bench-synthetic-{n}", DIMENSIONS)
    store = DjangoStore(space)
    started = time.perf_counter()
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        store.upsert_vectors(
            [(pid, f"bench-{pid}", vectors[pid - 1]) for pid in range(start + 1, stop + 1)]
        )
        log(f"  loaded {stop:,}/{n:,}")
    loaded = time.perf_counter()
    spaces.ensure_index(space)
    indexed = time.perf_counter()
    space = spaces.activate(space)
    for retired in type(space).objects.exclude(pk=space.pk):
        spaces.drop_space(retired)
    # What autovacuum would do soon anyway; done now so it cannot run mid-measurement.
    execute("VACUUM ANALYZE personalization_product_vector")
    return loaded - started, indexed - loaded


def create_listings(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Saleor-like channel listings: each channel lists a random share of products 1..n."""
    members = {
        channel: np.sort(rng.choice(np.arange(1, n + 1), size=round(n * share), replace=False))
        for channel, share in CHANNELS.items()
    }
    execute(f"DROP TABLE IF EXISTS {LISTING_TABLE}")
    execute(
        f"CREATE TABLE {LISTING_TABLE} (product_id bigint NOT NULL, channel text NOT NULL, "
        "PRIMARY KEY (channel, product_id))"
    )
    for channel, ids in members.items():
        execute(
            f"INSERT INTO {LISTING_TABLE} SELECT unnest(%s::bigint[]), %s", [ids.tolist(), channel]
        )
    execute(f"VACUUM ANALYZE {LISTING_TABLE}")
    return members


@dataclass(frozen=True)
class Case:
    label: str
    kind: str
    candidate_filter: Any
    members: np.ndarray | None  # allowed product ids; None: all


def make_cases(members: dict[str, np.ndarray]) -> list[Case]:
    from saleor_personalization.engine.filters import NO_FILTER, CandidateFilter, SqlCondition

    cases = [Case("none", "-", NO_FILTER, None)]
    for channel, ids in members.items():
        condition = SqlCondition(
            f"EXISTS (SELECT 1 FROM {LISTING_TABLE} l "
            "WHERE l.product_id = {product_id} AND l.channel = %s)",
            (channel,),
        )
        cases.append(Case(channel, "sql", CandidateFilter(condition=condition), ids))
    for channel, ids in members.items():
        cases.append(Case(channel, "ids", CandidateFilter.allow(ids.tolist()), ids))
    return cases


def exact_top_k(similarities: np.ndarray, members: np.ndarray | None) -> list[set[int]]:
    """Per query (column), the ids of the K most similar allowed products, by brute force."""
    ids = np.arange(1, similarities.shape[0] + 1) if members is None else members
    allowed = similarities if members is None else similarities[members - 1]
    top = np.argpartition(-allowed, K - 1, axis=0)[:K]
    return [set(ids[top[:, column]].tolist()) for column in range(allowed.shape[1])]


@dataclass
class SearchResult:
    filter: str
    kind: str
    allowed: int
    rows_min: int
    short_queries: int  # store API returned fewer than K rows
    index_short: int  # raw first pass returned fewer than K rows, so the API re-ran it
    recall_at_10: float
    api_p50_ms: float
    api_p99_ms: float
    raw_p50_ms: float
    raw_p99_ms: float
    ratio_p50: float


def raw_statements(
    space: Any, query: np.ndarray, case: Case, settings: Any
) -> tuple[list[str], str, list]:
    """What vector_search.nearest issues on its first pass (the SETs mirror its _run)."""
    from saleor_personalization.store import vector_search

    sql, params = vector_search.nearest_sql(space, query, K, case.candidate_filter)
    exact, ef_search = vector_search.plan(space, case.candidate_filter, K, settings)
    if exact:
        return ["SET LOCAL enable_indexscan = off"], sql, params
    return [
        f"SET LOCAL hnsw.ef_search = {ef_search}",
        "SET LOCAL hnsw.iterative_scan = relaxed_order",
        f"SET LOCAL hnsw.max_scan_tuples = {settings.max_scan_tuples}",
    ], sql, params


def run_raw(raw: Any, sets: list[str], sql: str, params: list) -> int:
    with raw.transaction(), raw.cursor() as cursor:
        for statement in sets:
            cursor.execute(statement)
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def measure(
    store: Any, raw: Any, case: Case, queries: np.ndarray, truth: list[set[int]], allowed: int
) -> SearchResult:
    """Queries [0, WARMUP_QUERIES) only warm up; API and raw take turns going first."""
    space = store.space
    api_ms, raw_ms, rows, raw_rows, recalls = [], [], [], [], []
    for position, query in enumerate(queries):
        sets, sql, params = raw_statements(space, query, case, store.search_settings)
        calls = {
            "api": lambda: store.nearest(query, K, case.candidate_filter),
            "raw": lambda: run_raw(raw, sets, sql, params),
        }
        took = {name: timed(calls[name]) for name in TURNS[position % 2]}
        if position < WARMUP_QUERIES:
            continue
        (api_time, neighbors), (raw_time, raw_count) = took["api"], took["raw"]
        expected = truth[position - WARMUP_QUERIES]
        found = {neighbor.product_id for neighbor in neighbors}
        api_ms.append(api_time)
        raw_ms.append(raw_time)
        rows.append(len(neighbors))
        raw_rows.append(raw_count)
        recalls.append(len(found & expected) / max(1, min(K, len(expected))))
    api_p50, api_p99 = np.percentile(api_ms, [50, 99])
    raw_p50, raw_p99 = np.percentile(raw_ms, [50, 99])
    return SearchResult(
        case.label, case.kind, allowed, min(rows), sum(c < K for c in rows),
        sum(c < K for c in raw_rows), float(np.mean(recalls)), float(api_p50), float(api_p99),
        float(raw_p50), float(raw_p99), float(api_p50 / raw_p50),
    )


def bench_size(n: int, query_count: int, raw: Any) -> dict[str, Any]:
    from saleor_personalization.store.django_store import DjangoStore

    rng = np.random.default_rng(SEED + n)
    log(f"[{n:,}] generating vectors; storing through DjangoStore.upsert_vectors")
    vectors = make_vectors(n, rng)
    load_s, index_s = load_space(vectors)
    log(f"[{n:,}] load {load_s:.1f} s, HNSW build {index_s:.1f} s")
    members = create_listings(n, rng)
    queries = make_queries(vectors, WARMUP_QUERIES + query_count, rng)
    similarities = vectors @ queries[WARMUP_QUERIES:].T
    store = DjangoStore()  # unpinned, as the engine uses it: resolves the active space
    results = []
    for case in make_cases(members):
        log(f"[{n:,}] measuring filter {case.label} ({case.kind})")
        allowed = n if case.members is None else len(case.members)
        truth = exact_top_k(similarities, case.members)
        results.append(measure(store, raw, case, queries, truth, allowed))
    return {"n": n, "load_s": load_s, "index_build_s": index_s, "search": results}


def load_texts(count: int) -> tuple[list[str], str]:
    if SCIENTIFIC_TEXT.exists():
        with SCIENTIFIC_TEXT.open(encoding="utf-8") as handle:
            next(handle)  # header row
            texts = [line.split("\t", 1)[1].strip() for _, line in zip(range(count), handle)]
        if len(texts) == count:
            return texts, str(SCIENTIFIC_TEXT)
    products = json.loads(SHOP_JSON.read_text(encoding="utf-8"))["products"]
    # 60 products: vary each by which description sentence follows its name and category.
    texts = []
    for position in range(count):
        product = products[position % len(products)]
        sentences = product["description"].split(". ")
        lead = sentences[(position // len(products)) % len(sentences)]
        texts.append(f"{product['name']}. {' / '.join(product['category'])}. {lead}")
    return texts, str(SHOP_JSON)


def bench_encoding() -> dict[str, Any]:
    from saleor_personalization.engine.encoder import EncoderConfig, encode, load_model

    texts, source = load_texts(ENCODE_TEXTS)
    config = EncoderConfig()
    log(f"[encode] loading {config.model}; {len(texts):,} texts from {source}")
    model = load_model(config)
    calls: dict[str, Callable[[list[str]], np.ndarray]] = {
        "engine": lambda part: encode(part, config=config),
        "raw": lambda part: model.encode(part, batch_size=ENCODE_BATCH, normalize_embeddings=True),
    }
    model.encode(texts[: 4 * ENCODE_BATCH], batch_size=ENCODE_BATCH)  # warm-up
    # Rounds alternate engine and raw slice by slice, not whole run by whole run.
    slices = [texts[start : start + ENCODE_SLICE] for start in range(0, len(texts), ENCODE_SLICE)]
    seconds: dict[str, list[float]] = {"engine": [], "raw": []}
    first: dict[str, np.ndarray] = {}
    for round_number in range(ENCODE_ROUNDS):
        spent = {"engine": 0.0, "raw": 0.0}
        for position, part in enumerate(slices):
            for name in ENCODE_TURNS[(position + round_number) % 2]:
                elapsed, vectors = timed(lambda: calls[name](part))
                spent[name] += elapsed / 1000.0
                first.setdefault(name, vectors)
        for name, value in spent.items():
            seconds[name].append(value)
        log(f"[encode] round {round_number + 1}: engine {spent['engine']:.1f} s, "
            f"raw {spent['raw']:.1f} s")
    # Best round: other processes only ever slow a round down.
    rate = {name: len(texts) / min(values) for name, values in seconds.items()}
    paired = [raw / engine for engine, raw in zip(seconds["engine"], seconds["raw"])]
    return {
        "texts": len(texts), "source": source, "model": config.model,
        "batch_size": config.batch_size, "rounds": ENCODE_ROUNDS, "slice": ENCODE_SLICE,
        "seconds": seconds, "engine_texts_per_s": rate["engine"], "raw_texts_per_s": rate["raw"],
        "ratio_engine_over_raw": rate["engine"] / rate["raw"],
        "paired_ratio_median": float(np.median(paired)),
        "max_abs_difference": float(np.abs(first["engine"] - first["raw"]).max()),
    }


def format_size(size: dict[str, Any]) -> str:
    header = (
        f"{'filter':<10} {'kind':<4} {'allowed':>8} {'rows':>5} {'short':>5} {'idx<k':>5} "
        f"{'recall@10':>9} {'api p50':>8} {'api p99':>8} {'raw p50':>8} {'raw p99':>8} {'ratio':>6}"
    )
    title = (
        f"== {size['n']:,} vectors x {DIMENSIONS}d: load {size['load_s']:.1f} s, "
        f"HNSW build {size['index_build_s']:.1f} s (latencies in ms, top-{K}) =="
    )
    lines = [title, header, "-" * len(header)]
    for r in size["search"]:
        flag = "!" if r.rows_min < K else " "
        lines.append(
            f"{r.filter:<10} {r.kind:<4} {r.allowed:>8,} {r.rows_min:>4}{flag} "
            f"{r.short_queries:>5} {r.index_short:>5} {r.recall_at_10:>9.3f} "
            f"{r.api_p50_ms:>8.2f} {r.api_p99_ms:>8.2f} {r.raw_p50_ms:>8.2f} {r.raw_p99_ms:>8.2f} "
            f"{r.ratio_p50:>6.2f}"
        )
    return "\n".join(lines)


def format_encoding(enc: dict[str, Any]) -> str:
    rows = [("engine encode()", "engine"), ("raw SentenceTransformer.encode()", "raw")]
    return "\n".join([
        f"== encoding {enc['texts']:,} texts ({Path(enc['source']).name}), {enc['model']}, "
        f"batch {enc['batch_size']}, {enc['rounds']} rounds interleaved per {enc['slice']} "
        "texts ==",
        f"{'kind':<34} {'best texts/s':>12}  seconds per round",
        *(
            f"{label:<34} {enc[f'{key}_texts_per_s']:>12.1f}  "
            + " ".join(f"{value:.1f}" for value in enc["seconds"][key])
            for label, key in rows
        ),
        f"throughput ratio engine/raw: best {enc['ratio_engine_over_raw']:.3f}, median of "
        f"same-round ratios {enc['paired_ratio_median']:.3f}; "
        f"max |difference| of vectors: {enc['max_abs_difference']:.2e}",
    ])


LEGEND = (
    "rows: fewest rows any query returned (! = below k); short: queries with fewer than k rows;\n"
    "idx<k: queries whose raw first pass returned < k rows (the store then re-runs it exactly);\n"
    "recall@10: store API vs exact numpy search over the same filtered set; "
    "ratio: api p50 / raw p50."
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--skip-encoding", action="store_true")
    args = parser.parse_args()
    if min(args.sizes) < 1000 or args.queries < 1:
        parser.error("sizes must be at least 1000 (so 1% still lists k products), queries >= 1")
    return args


def main() -> None:
    args = parse_args()
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    started, load_start = time.perf_counter(), os.getloadavg()
    url = connect_database()
    import psycopg
    from pgvector.psycopg import register_vector

    reset_database()
    [(postgres, pgvector)] = execute(
        "SELECT current_setting('server_version'), "
        "(SELECT extversion FROM pg_extension WHERE extname = 'vector')"
    )
    # No automatic server-side prepare: Django plans every statement afresh, so must this.
    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as raw:
        register_vector(raw)  # nearest_sql's query is a numpy parameter
        sizes = [bench_size(n, args.queries, raw) for n in args.sizes]
    encoding = None if args.skip_encoding else bench_encoding()
    load = {"start": load_start, "end": os.getloadavg()}
    print(
        f"saleor-personalization search benchmark: {args.queries} queries (+{WARMUP_QUERIES} "
        f"warm-up) per case, PostgreSQL {postgres}, pgvector {pgvector}, {os.cpu_count()} CPUs, "
        f"load average {load['start'][0]:.2f} at start, {load['end'][0]:.2f} at end\n"
    )
    report = [format_size(size) for size in sizes]
    report += [format_encoding(encoding)] if encoding else []
    print("\n\n".join([*report, LEGEND]))
    if args.json:
        payload = {
            "queries": args.queries, "warmup": WARMUP_QUERIES, "k": K, "dimensions": DIMENSIONS,
            "seed": SEED, "postgres": postgres, "pgvector": pgvector, "cpus": os.cpu_count(),
            "load_average": load,
            "sizes": [{**size, "search": [asdict(r) for r in size["search"]]} for size in sizes],
            "encoding": encoding,
        }
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    log(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
