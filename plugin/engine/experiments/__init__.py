"""A/B tests of product descriptions: sticky assignment, always-valid sequential
statistics and simulations that prove them. Nothing here imports Django or Saleor."""

from .assignment import assign_arm
from .sequential import Analysis, ArmCounts, ArmStatistics, Decision, analyze, exposures_needed

__all__ = ["Analysis", "ArmCounts", "ArmStatistics", "Decision", "analyze", "assign_arm",
           "exposures_needed"]
