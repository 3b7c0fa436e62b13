"""Offline tooling around the engine's evaluation: files in, files out.

Read a public dataset (UniSRec atomic files, MovieLens) into an
:class:`~saleor_personalization.engine.evaluation.EvalDataset` with
:func:`load_dataset`, and write an evaluation result as a Markdown table and a
chart with :func:`write_report`. matplotlib is imported only to draw the chart.
"""

from .datasets import DatasetError, load_dataset
from .report import write_report

__all__ = ["DatasetError", "load_dataset", "write_report"]
