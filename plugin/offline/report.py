"""Write an evaluation result as a Markdown table and a bar chart.

matplotlib is an optional dependency (the ``report`` extra); it is imported only
when the chart is drawn, and through its object API, so the caller's pyplot
backend and state are left alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_DEFAULT_PROTOCOL = (
    "Leave-one-out: one held-out item per user, ranked against all items except "
    "the user's excluded ones."
)


def write_report(result: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write ``report.md`` and ``metrics.png`` for an :func:`evaluate` result.

    Returns the two paths. ``out_dir`` is created if missing. Raises
    ``ModuleNotFoundError`` with an install hint when matplotlib is absent.
    """
    out_dir = Path(out_dir)
    methods: dict[str, dict[str, float]] = result["methods"]
    if not methods:
        raise ValueError("result has no methods to report")
    k = result["k"]
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown_path = out_dir / "report.md"
    markdown_path.write_text(_markdown(result), encoding="utf-8")
    chart_path = out_dir / "metrics.png"
    size = f"{result['users']:,} users, {result['items']:,} items"
    title = f"{result['dataset']} ({size})"
    _chart(methods, [f"recall@{k}", f"ndcg@{k}"], title, chart_path)
    return markdown_path, chart_path


def _markdown(result: dict[str, Any]) -> str:
    methods: dict[str, dict[str, float]] = result["methods"]
    columns = list(next(iter(methods.values())))
    lines = [
        f"# Evaluation: {result['dataset']}",
        "",
        f"- Users: {result['users']:,}",
        f"- Items: {result['items']:,}",
        f"- k: {result['k']}",
        f"- Protocol: {result.get('protocol') or _DEFAULT_PROTOCOL}",
        *(
            [f"- Cold slice: {result['cold_users']:,} users whose target has at most "
             f"{result['cold_threshold']} training interactions"]
            if "cold_users" in result else []
        ),
        "",
        "| method | " + " | ".join(columns) + " |",
        "| --- |" + " ---: |" * len(columns),
    ]
    for name, metrics in methods.items():
        cells = [_cell(column, metrics.get(column)) for column in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(column: str, value: float | None) -> str:
    if value is None:
        return "–"
    if column.endswith("seconds"):
        return f"{value:.2f}"
    return f"{value:.1f}" if column.endswith("MB") else f"{value:.4f}"


def _chart(
    methods: dict[str, dict[str, float]], metrics: list[str], title: str, path: Path
) -> None:
    """Grouped bars: one group per method, one bar per metric, values on top."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            "metrics.png needs matplotlib; install it with "
            "`pip install saleor-personalization[report]`",
            name="matplotlib",
        ) from exc

    names = list(methods)
    width = 0.8 / len(metrics)
    figure = Figure(figsize=(max(6.0, 1.6 * len(names) + 2.0), 4.5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for position, metric in enumerate(metrics):
        shift = (position - (len(metrics) - 1) / 2) * width
        offsets = [index + shift for index in range(len(names))]
        values = [methods[name].get(metric, 0.0) for name in names]
        bars = axes.bar(offsets, values, width, label=metric)
        axes.bar_label(bars, fmt="%.4f", fontsize=8, padding=2)
    axes.set_xticks(range(len(names)), names)
    axes.set_ylabel("score")
    axes.set_title(title)
    highest = max(methods[n].get(metric, 0.0) for n in names for metric in metrics)
    axes.set_ylim(0, max(highest, 0.01) * 1.2)
    axes.legend(loc="upper left")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
