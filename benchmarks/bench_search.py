"""Benchmark: filtered similarity search through the store vs. its raw SQL, and encoding.

A benchmark, not a test: it asserts nothing and prints figures. See benchmarks/README.md.

    .venv/bin/python benchmarks/bench_search.py [--sizes 10000 100000] [--queries 200] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
REPO = Path(__file__).resolve().parent.parent
SCIENTIFIC_TEXT = Path("/work/shared/datasets/amazon-scientific/Scientific.text")
SHOP_JSON = REPO / "plugin" / "sample_data" / "shop.json"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- database -------------------------------------------------------------------------


def connect_database() -> str:
    """Configure Django on the bench database; the store modules import only after this."""
    from saleor_personalization.standalone import embedded_db, setup

    url = os.environ.get("DATABASE_URL")
    if url:
        bar = "!" * 78
        log(f"{bar}\n!! DATABASE_URL is set: benchmarking THAT database, not the embedded "
            f"'{BENCH_DATABASE}'.\n!! Every embedding space and product vector in it is "
            f"DELETED now.\n{bar}")
    else:
        url = embedded_db.start(BENCH_DATABASE)
    setup.configure(url)
    from django.db import connection

    connection.ensure_connection()
    # pgvector reports e.g. "hnsw graph no longer fits into maintenance_work_mem" as a notice.
    connection.connection.add_notice_handler(
        lambda diag: log(f"  postgres {diag.severity}: {diag.message_primary}")
    )
    return url


def execute(sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def reset_database() -> None:
    from saleor_personalization.models import EmbeddingSpace

    # Deleting a space leaves its partial HNSW index behind; drop them all first.
    for (name,) in execute(
        "SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["personalization\\_hnsw\\_%"]
    ):
        execute(f'DROP INDEX IF EXISTS "{name}"')
    EmbeddingSpace.objects.all().delete()
    execute(f"DROP TABLE IF EXISTS {LISTING_TABLE}")


def server_versions() -> dict[str, str]:
    [(server, vector)] = execute(
        "SELECT current_setting('server_version'), "
        "(SELECT extversion FROM pg_extension WHERE extname = 'vector')"
    )
    return {"postgres": server, "pgvector": vector}


# -- synthetic catalogue ----------------------------------------------------------------


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
    noisy = picked + QUERY_NOISE * rng.standard_normal(picked.shape)
    return normalise(noisy).astype(np.float32)


def load_space(vectors: np.ndarray) -> tuple[Any, float, float]:
    """Store product ids 1..n in a new space, index and activate it: (space, load s, index s)."""
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
    return space, loaded - started, indexed - loaded


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
            f"INSERT INTO {LISTING_TABLE} SELECT unnest(%s::bigint[]), %s",
            [ids.tolist(), channel],
        )
    execute(f"VACUUM ANALYZE {LISTING_TABLE}")
    return members


@dataclass(frozen=True)
class Case:
    label: str
    kind: str
    candidate_filter: Any
    members: np.ndarray | None


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


# -- search latency ---------------------------------------------------------------------


@dataclass
class SearchResult:
    filter: str
    kind: str
    allowed: int
    rows_min: int
    short_queries: int
    index_short: int
    recall_at_10: float
    api_p50_ms: float
    api_p99_ms: float
    raw_p50_ms: float
    raw_p99_ms: float
    ratio_p50: float


def raw_statements(space: Any, query: np.ndarray, case: Case, settings: Any) -> tuple[list[str], str, list]:
    """The statements vector_search.nearest issues on its first pass (the SETs mirror _run)."""
    from saleor_personalization.store import vector_search

    sql, params = vector_search.nearest_sql(space, query, K, case.candidate_filter)
    allowed = case.candidate_filter.allowed_ids
    if allowed is not None and len(allowed) <= vector_search.EXACT_SEARCH_MAX_IDS:
        return ["SET LOCAL enable_indexscan = off"], sql, params
    return [
        f"SET LOCAL hnsw.ef_search = {max(settings.ef_search, K)}",
        "SET LOCAL hnsw.iterative_scan = relaxed_order",
        f"SET LOCAL hnsw.max_scan_tuples = {settings.max_scan_tuples}",
    ], sql, params


def run_raw(raw: Any, sets: list[str], sql: str, params: list) -> int:
    with raw.transaction(), raw.cursor() as cursor:
        for statement in sets:
            cursor.execute(statement)
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = call()
    return (time.perf_counter() - started) * 1000.0, value


def measure(store: Any, raw: Any, case: Case, queries: np.ndarray, truth: list[set[int]]) -> SearchResult:
    """Queries [0, WARMUP_QUERIES) warm up; API and raw alternate which goes first."""
    space = store.space
    api_ms: list[float] = []
    raw_ms: list[float] = []
    rows: list[int] = []
    raw_rows: list[int] = []
    recalls: list[float] = []
    for position, query in enumerate(queries):
        sets, sql, params = raw_statements(space, query, case, store.search_settings)
        api = lambda: store.nearest(query, K, case.candidate_filter)  # noqa: E731
        direct = lambda: run_raw(raw, sets, sql, params)  # noqa: E731
        if position % 2 == 0:
            api_time, neighbors = timed(api)
            raw_time, raw_count = timed(direct)
        else:
            raw_time, raw_count = timed(direct)
            api_time, neighbors = timed(api)
        measured = position - WARMUP_QUERIES
        if measured < 0:
            continue
        api_ms.append(api_time)
        raw_ms.append(raw_time)
        rows.append(len(neighbors))
        raw_rows.append(raw_count)
        expected = truth[measured]
        found = {n.product_id for n in neighbors}
        recalls.append(len(found & expected) / max(1, min(K, len(expected))))
    api_p50, api_p99 = np.percentile(api_ms, [50, 99])
    raw_p50, raw_p99 = np.percentile(raw_ms, [50, 99])
    return SearchResult(
        filter=case.label,
        kind=case.kind,
        allowed=len(space_ids(case, store)),
        rows_min=min(rows),
        short_queries=sum(count < K for count in rows),
        index_short=sum(count < K for count in raw_rows),
        recall_at_10=float(np.mean(recalls)),
        api_p50_ms=float(api_p50),
        api_p99_ms=float(api_p99),
        raw_p50_ms=float(raw_p50),
        raw_p99_ms=float(raw_p99),
        ratio_p50=float(api_p50 / raw_p50),
    )


def space_ids(case: Case, store: Any) -> np.ndarray:
    return np.arange(store.vector_count) if case.members is None else case.members


def bench_size(n: int, query_count: int, raw: Any) -> dict[str, Any]:
    from saleor_personalization.store.django_store import DjangoStore

    rng = np.random.default_rng(SEED + n)
    log(f"[{n:,}] generating vectors")
    vectors = make_vectors(n, rng)
    log(f"[{n:,}] storing through DjangoStore.upsert_vectors (chunks of {CHUNK:,})")
    _space, load_s, index_s = load_space(vectors)
    log(f"[{n:,}] load {load_s:.1f} s, HNSW build {index_s:.1f} s")
    members = create_listings(n, rng)
    queries = make_queries(vectors, WARMUP_QUERIES + query_count, rng)
    similarities = vectors @ queries[WARMUP_QUERIES:].T
    store = DjangoStore()
    store.vector_count = n  # only for space_ids(); the store ignores it
    results = []
    for case in make_cases(members):
        log(f"[{n:,}] measuring filter {case.label} ({case.kind})")
        truth = exact_top_k(similarities, case.members)
        results.append(measure(store, raw, case, queries, truth))
    return {"n": n, "load_s": load_s, "index_build_s": index_s, "search": results}


# -- encoding throughput ----------------------------------------------------------------


def load_texts(count: int) -> tuple[list[str], str]:
    if SCIENTIFIC_TEXT.exists():
        with SCIENTIFIC_TEXT.open(encoding="utf-8") as handle:
            next(handle)  # header row
            texts = [line.split("\t", 1)[1].strip() for _, line in zip(range(count), handle)]
        if len(texts) == count:
            return texts, str(SCIENTIFIC_TEXT)
    products = json.loads(SHOP_JSON.read_text(encoding="utf-8"))["products"]
    texts = []
    for position in range(count):
        product = products[position % len(products)]
        colours = product.get("attributes", {}).get("Color") or [""]
        colour = colours[(position // len(products)) % len(colours)]
        sentences = product["description"].split(". ")
        lead = sentences[(position // len(products)) % len(sentences)]
        texts.append(f"{product['name']} {colour}. {' / '.join(product['category'])}. {lead}")
    return texts, str(SHOP_JSON)


def bench_encoding() -> dict[str, Any]:
    from saleor_personalization.engine.encoder import EncoderConfig, encode, load_model

    texts, source = load_texts(ENCODE_TEXTS)
    config = EncoderConfig()
    log(f"[encode] loading {config.model}; {len(texts):,} texts from {source}")
    model = load_model(config)
    engine = lambda: encode(texts, config=config)  # noqa: E731
    direct = lambda: model.encode(texts, batch_size=ENCODE_BATCH, normalize_embeddings=True)  # noqa: E731
    model.encode(texts[:ENCODE_BATCH], batch_size=ENCODE_BATCH)  # warm-up
    seconds: dict[str, list[float]] = {"engine": [], "raw": []}
    outputs: dict[str, np.ndarray] = {}
    for round_number in range(ENCODE_ROUNDS):
        pair = [("engine", engine), ("raw", direct)]
        for name, call in pair if round_number % 2 == 0 else reversed(pair):
            elapsed, outputs[name] = timed(call)
            seconds[name].append(elapsed / 1000.0)
            log(f"[encode] round {round_number + 1} {name}: {elapsed / 1000.0:.1f} s")
    rate = {name: len(texts) / float(np.median(values)) for name, values in seconds.items()}
    return {
        "texts": len(texts),
        "source": source,
        "model": config.model,
        "batch_size": config.batch_size,
        "rounds": ENCODE_ROUNDS,
        "seconds": seconds,
        "engine_texts_per_s": rate["engine"],
        "raw_texts_per_s": rate["raw"],
        "ratio_engine_over_raw": rate["engine"] / rate["raw"],
        "max_abs_difference": float(np.abs(outputs["engine"] - outputs["raw"]).max()),
    }


# -- report -----------------------------------------------------------------------------


def format_size(size: dict[str, Any]) -> str:
    header = (
        f"{'filter':<10} {'kind':<4} {'allowed':>8} {'rows':>5} {'short':>5} {'idx<k':>5} "
        f"{'recall@10':>9} {'api p50':>8} {'api p99':>8} {'raw p50':>8} {'raw p99':>8} {'ratio':>6}"
    )
    lines = [
        f"== {size['n']:,} vectors x {DIMENSIONS}d: load {size['load_s']:.1f} s, "
        f"HNSW build {size['index_build_s']:.1f} s (latencies in ms, top-{K}) ==",
        header,
        "-" * len(header),
    ]
    for r in size["search"]:
        flag = "!" if r.rows_min < K else " "
        lines.append(
            f"{r.filter:<10} {r.kind:<4} {r.allowed:>8,} {r.rows_min:>4}{flag} {r.short_queries:>5} "
            f"{r.index_short:>5} {r.recall_at_10:>9.3f} {r.api_p50_ms:>8.2f} {r.api_p99_ms:>8.2f} "
            f"{r.raw_p50_ms:>8.2f} {r.raw_p99_ms:>8.2f} {r.ratio_p50:>6.2f}"
        )
    return "\n".join(lines)


def format_encoding(enc: dict[str, Any]) -> str:
    return "\n".join([
        f"== encoding {enc['texts']:,} texts ({Path(enc['source']).name}), {enc['model']}, "
        f"batch {enc['batch_size']}, median of {enc['rounds']} interleaved rounds ==",
        f"{'kind':<34} {'texts/s':>9} {'median s':>9}",
        f"{'engine encode()':<34} {enc['engine_texts_per_s']:>9.1f} "
        f"{np.median(enc['seconds']['engine']):>9.2f}",
        f"{'raw SentenceTransformer.encode()':<34} {enc['raw_texts_per_s']:>9.1f} "
        f"{np.median(enc['seconds']['raw']):>9.2f}",
        f"ratio engine/raw throughput: {enc['ratio_engine_over_raw']:.3f}; "
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
        parser.error("sizes must be at least 1000 (so 1% still holds k products), queries >= 1")
    return args


def main() -> None:
    args = parse_args()
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    started = time.perf_counter()
    url = connect_database()
    import psycopg

    reset_database()
    versions = server_versions()
    log(f"database ready: PostgreSQL {versions['postgres']}, pgvector {versions['pgvector']}")
    # No automatic server-side prepare: Django plans every statement afresh, so must this.
    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as raw:
        sizes = [bench_size(n, args.queries, raw) for n in args.sizes]
    encoding = None if args.skip_encoding else bench_encoding()
    report = [format_size(size) for size in sizes]
    if encoding is not None:
        report.append(format_encoding(encoding))
    report.append(LEGEND)
    print(
        f"saleor-personalization search benchmark: {args.queries} queries (+{WARMUP_QUERIES} "
        f"warm-up) per case, PostgreSQL {versions['postgres']}, pgvector {versions['pgvector']}, "
        f"{os.cpu_count()} CPUs\n"
    )
    print("\n\n".join(report))
    if args.json:
        payload = {
            "queries": args.queries,
            "warmup": WARMUP_QUERIES,
            "k": K,
            "dimensions": DIMENSIONS,
            "seed": SEED,
            "versions": versions,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "sizes": [{**size, "search": [asdict(r) for r in size["search"]]} for size in sizes],
            "encoding": encoding,
        }
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    log(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
