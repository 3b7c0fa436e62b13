"""``manage.py personalization_experiment_report ID --report DIR``: a description
experiment's curve (each arm's rate and each variant's uplift with its always-valid
interval, one point a day) as ``report.md`` and ``experiment.png``, drawn from the
daily history the periodic task keeps on the experiment.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...engine.experiments.sequential import Analysis, ArmStatistics, Decision
from ...experiment_models import DescriptionExperiment
from ...offline.experiment_report import DailySnapshot, write_experiment_report


class Command(BaseCommand):
    help = "Draw a description experiment's daily curve (report.md and experiment.png)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("experiment", help="The experiment's id (GraphQL ID or UUID).")
        parser.add_argument("--report", required=True, type=Path, metavar="DIR")

    def handle(self, *args, **options) -> None:
        experiment = DescriptionExperiment.objects.filter(
            pk=experiment_pk(options["experiment"])
        ).first()
        if experiment is None:
            raise CommandError(f"No description experiment {options['experiment']!r}.")
        snapshots = daily_snapshots(experiment)
        if not snapshots:
            raise CommandError(
                "The experiment has no daily statistics yet: they are kept by the "
                "update_description_experiments task (beat, every 15 minutes)."
            )
        arm_names = ["live description (control)"] + [
            f"variant {arm}" for arm in range(1, len(snapshots[-1].analysis.arms))
        ]
        try:
            markdown, image = write_experiment_report(
                snapshots,
                options["report"],
                title=f"Description experiment {experiment.pk} (product {experiment.product_id})",
                arm_names=arm_names,
            )
        except ModuleNotFoundError as error:  # matplotlib: the "report" extra
            raise CommandError(str(error)) from None
        self.stdout.write(f"Wrote {markdown} and {image}")


def experiment_pk(value: str) -> uuid.UUID:
    """A UUID, or a GraphQL ID (base64 of ``DescriptionExperiment:<uuid>``)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        pass
    try:
        decoded = base64.b64decode(value, validate=True).decode()
        return uuid.UUID(decoded.split(":", 1)[1])
    except (binascii.Error, UnicodeDecodeError, IndexError, ValueError):
        raise CommandError(f"{value!r} is neither an experiment UUID nor its GraphQL ID.") from None


def daily_snapshots(experiment: DescriptionExperiment) -> list[DailySnapshot]:
    statistics = experiment.statistics or {}
    history = statistics.get("history", [])
    snapshots = []
    for position, day in enumerate(history):
        last = position == len(history) - 1
        analysis = Analysis(
            decision=Decision(day["decision"]),
            winner=statistics.get("winner") if last else None,
            arms=tuple(ArmStatistics(**arm) for arm in day["arms"]),
            alpha=experiment.alpha,
            minimum_detectable_effect=experiment.minimum_detectable_effect,
        )
        snapshots.append(DailySnapshot(date.fromisoformat(day["date"]), analysis))
    return snapshots
