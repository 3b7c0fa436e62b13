"""``manage.py personalization_retrain``: train the learned recommender now, in this process.

The same run as the ``retrain_recommender`` task (one at a time, promoted only if
it beats the live model and the content profile on the newest interactions),
with a progress bar over the training epochs and the gate's numbers printed.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...progress import progress_bar
from ...saleor_adapter import services, training_jobs


class Command(BaseCommand):
    help = (
        "Train the learned recommender on the shop's events and make it live if it beats "
        "the live model and the content profile on the newest interactions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="A hyper-parameter (e.g. --set epochs=20 --set dimensions=32); repeatable.",
        )
        parser.add_argument(
            "--loss",
            action="append",
            choices=training_jobs.LOSSES,
            help="Train only with this loss (default: each, keeping the better).",
        )
        parser.add_argument(
            "--holdout",
            type=float,
            default=training_jobs.RetrainOptions.holdout_fraction,
            metavar="SHARE",
            help="Share of the newest events held out for the promotion gate (default 0.1).",
        )

    def handle(self, *args, set: list[str], loss: list[str] | None, holdout: float, **options):
        from saleor.core.db.connection import allow_writer

        hyperparameters = _parse(set)
        retrain_options = training_jobs.RetrainOptions(
            holdout_fraction=holdout,
            losses=tuple(loss) if loss else training_jobs.LOSSES,
            hyperparameters=hyperparameters,
        )
        try:
            config = retrain_options.train_config()
        except (TypeError, ValueError) as error:
            raise CommandError(str(error)) from None
        # One model per loss, then the ensemble's other members with the better loss.
        epochs = config.epochs * (len(retrain_options.losses) + config.ensemble - 1)
        plugin_config, _active = services.saved_config()
        with allow_writer(), progress_bar(epochs, "Epochs", unit="epoch") as advance:
            try:
                row = training_jobs.retrain(
                    plugin_config,
                    trigger="command",
                    options=retrain_options,
                    progress=lambda _epoch, _epochs, _metrics: advance(1),
                )
            except training_jobs.TrainingError as error:
                raise CommandError(str(error)) from None
            except ValueError as error:  # too little data, a bad hyper-parameter
                raise CommandError(f"training failed: {error}") from None
        if row is None:
            running = training_jobs.pending_run()
            which = f" (model {running.pk})" if running is not None else ""
            raise CommandError(f"a training is running in a worker{which}; try again later")
        self.stdout.write(
            f"Model {row.pk}: {row.status}. {row.decision}. {row.event_count} events of "
            f"{row.shopper_count} shoppers; {row.training_seconds} s, "
            f"peak {row.peak_memory_mb} MB."
        )
        for name, values in row.metrics.get("gate", {}).items():
            self.stdout.write(
                f"  {name}: NDCG@10 {values['ndcg@10']:.4f}, Recall@10 {values['recall@10']:.4f} "
                f"({values['cases']} held-out cases)"
            )


def _parse(pairs: list[str]) -> dict:
    values = {}
    for pair in pairs:
        name, equals, raw = pair.partition("=")
        if not equals or not name.strip():
            raise CommandError(f"--set expects NAME=VALUE, got {pair!r}")
        try:
            values[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            values[name.strip()] = raw
    return values
