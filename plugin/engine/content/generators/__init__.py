"""Generator backends behind one small interface (:class:`.base.Generator`)."""

from __future__ import annotations

from .base import Generator, GeneratorError, make_generator

__all__ = ["Generator", "GeneratorError", "make_generator"]
