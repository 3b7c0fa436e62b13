"""An experiment's curve as a Markdown table and a PNG: each arm's conversion rate and
each variant's uplift with its always-valid interval, day by day.

Takes a list of daily snapshots (what :func:`..engine.experiments.sequential.analyze`
said at the end of each day), so the demo's simulated experiment and a shop's real one
draw the same way. matplotlib (the ``report`` extra) is imported only to draw, through
its object API, leaving the caller's pyplot state alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..engine.experiments.sequential import Analysis, Decision


@dataclass(frozen=True)
class DailySnapshot:
    """The analysis at the end of one day (a day number or a date)."""

    day: int | date
    analysis: Analysis


def write_experiment_report(
    snapshots: Sequence[DailySnapshot],
    out_dir: Path,
    *,
    title: str = "Description experiment",
    arm_names: Sequence[str] | None = None,
) -> tuple[Path, Path]:
    """Write ``report.md`` and ``experiment.png`` for ``snapshots`` (oldest first);
    returns the two paths. Raises ``ValueError`` without snapshots and
    ``ModuleNotFoundError`` with an install hint when matplotlib is absent."""
    if not snapshots:
        raise ValueError("an experiment report needs at least one daily snapshot")
    arms = len(snapshots[0].analysis.arms)
    if any(len(s.analysis.arms) != arms for s in snapshots):
        raise ValueError("every snapshot must have the same arms")
    names = list(arm_names or ["control"] + [f"variant {i}" for i in range(1, arms)])
    if len(names) != arms:
        raise ValueError(f"arm_names: {arms} names expected, got {len(names)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = out_dir / "report.md"
    markdown.write_text(_markdown(snapshots, title, names), encoding="utf-8")
    chart = out_dir / "experiment.png"
    _chart(snapshots, title, names, chart)
    return markdown, chart


def decided(snapshots: Sequence[DailySnapshot]) -> DailySnapshot | None:
    """The first snapshot with a decision (WINNER or NO_DIFFERENCE), if any."""
    return next((s for s in snapshots if s.analysis.decision in (Decision.WINNER,
                                                                  Decision.NO_DIFFERENCE)), None)


def describe(analysis: Analysis, names: Sequence[str]) -> str:
    """The decision in words: "winner: variant 1", "no difference", "running"."""
    if analysis.decision is Decision.WINNER and analysis.winner is not None:
        return f"winner: {names[analysis.winner]}"
    return analysis.decision.value.replace("_", " ")


def _markdown(snapshots: Sequence[DailySnapshot], title: str, names: Sequence[str]) -> str:
    last = snapshots[-1].analysis
    first_decision = decided(snapshots)
    lines = [
        f"# {title}",
        "",
        f"- Alpha: {last.alpha:g} (always valid: the intervals hold at every look)",
        f"- Minimum detectable effect: {last.minimum_detectable_effect:+.0%}",
        f"- Decision: {describe(last, names)}"
        + (f" (reached on day {_label(first_decision.day)})" if first_decision else ""),
        "",
        "| day | " + " | ".join(f"{n} exposed | {n} rate" for n in names)
        + " | " + " | ".join(f"{n} uplift [interval]" for n in names[1:]) + " | decision |",
        "| --- |" + " ---: | ---: |" * len(names) + " ---: |" * (len(names) - 1) + " --- |",
    ]
    for snapshot in snapshots:
        arms = snapshot.analysis.arms
        cells = [f"{a.exposed:,} | {a.rate:.2%}" for a in arms]
        cells += [_uplift_cell(a.uplift, a.uplift_low, a.uplift_high) for a in arms[1:]]
        lines.append(f"| {_label(snapshot.day)} | " + " | ".join(cells)
                     + f" | {describe(snapshot.analysis, names)} |")
    return "\n".join(lines) + "\n"


def _uplift_cell(uplift: float | None, low: float | None, high: float | None) -> str:
    if uplift is None:
        return "–"
    return f"{uplift:+.1%} [{_bound(low)}, {_bound(high)}]"


def _bound(value: float | None) -> str:
    return "∞" if value is None else f"{value:+.1%}"


def _label(day: int | date) -> str:
    return day.isoformat() if isinstance(day, date) else str(day)


def _chart(snapshots: Sequence[DailySnapshot], title: str, names: Sequence[str],
           path: Path) -> None:
    """Top: each arm's rate per day; bottom: each variant's uplift and interval, with
    0 and ±mde marked and the decision day drawn."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            "experiment.png needs matplotlib; install it with "
            "`pip install saleor-personalization[report]`", name="matplotlib") from exc

    x = list(range(len(snapshots)))
    labels = [_label(s.day) for s in snapshots]
    figure = Figure(figsize=(9.0, 6.5), dpi=120)
    FigureCanvasAgg(figure)
    rates, uplifts = figure.subplots(2, 1, sharex=True)
    for arm, name in enumerate(names):
        rates.plot(x, [100 * s.analysis.arms[arm].rate for s in snapshots], marker=".",
                   label=name)
    rates.set_ylabel("conversion rate (%)")
    rates.set_title(title)
    rates.legend(loc="best")
    mde = snapshots[-1].analysis.minimum_detectable_effect
    finite = [0.0, mde, -mde]
    for arm in range(1, len(names)):
        stats = [s.analysis.arms[arm] for s in snapshots]
        shown = [(i, a) for i, a in zip(x, stats) if a.uplift is not None]
        if not shown:
            continue
        days = [i for i, _ in shown]
        uplifts.plot(days, [100 * a.uplift for _, a in shown], marker=".", label=names[arm],
                     color=f"C{arm}")
        low = [100 * (a.uplift_low if a.uplift_low is not None else -1.0) for _, a in shown]
        high = [100 * a.uplift_high if a.uplift_high is not None else float("nan")
                for _, a in shown]
        uplifts.fill_between(days, low, high, alpha=0.2, color=f"C{arm}",
                             label=f"{names[arm]}: always-valid interval")
        finite += [a.uplift for _, a in shown]
    uplifts.axhline(0, color="black", linewidth=0.8)
    for bound in (mde, -mde):
        uplifts.axhline(100 * bound, color="grey", linestyle="--", linewidth=0.8)
    reached = decided(snapshots)
    if reached is not None:
        position = snapshots.index(reached)
        for axes in (rates, uplifts):
            axes.axvline(position, color="green", linestyle=":", linewidth=1.2)
        uplifts.annotate(describe(reached.analysis, names), (position, 0), xytext=(-4, 6),
                         textcoords="offset points", fontsize=8, color="green", ha="right")
    span = max(abs(v) for v in finite) * 100
    uplifts.set_ylim(-3 * span, 3 * span)  # an early, unbounded interval would hide the rest
    uplifts.set_ylabel("uplift vs control (%)")
    uplifts.set_xlabel("day")
    step = max(1, len(x) // 12)
    uplifts.set_xticks(x[::step], labels[::step])
    uplifts.legend(loc="upper right", fontsize=8)
    for axes in (rates, uplifts):
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
