"""Which arm of an experiment a shopper sees: deterministic and sticky.

A shopper's arm is a pure function of the experiment's key and the shopper's key (a
signed-in user's or the storefront's anonymous id), so every request, worker and
process agrees without storing anything. Two independent hashes decide whether the
shopper is inside the experiment's traffic and, if so, which arm: changing the traffic
share later moves shoppers in or out but never between arms.
"""

from __future__ import annotations

import hashlib

# 64-bit hash values: the bias of ``value % arm_count`` is below 1e-18.
_BUCKETS = 10_000  # traffic resolution: 0.01 %


def _hash(purpose: str, experiment_key: str, shopper_key: str) -> int:
    digest = hashlib.sha256(
        f"{purpose}\x00{experiment_key}\x00{shopper_key}".encode()
    ).digest()
    return int.from_bytes(digest[:8], "big")


def in_traffic(experiment_key: str, shopper_key: str, traffic_percent: int) -> bool:
    """Whether the shopper falls inside the experiment's ``traffic_percent`` (0-100)."""
    bucket = _hash("traffic", experiment_key, shopper_key) % _BUCKETS
    return bucket < traffic_percent * (_BUCKETS // 100)


def assign_arm(experiment_key: str, shopper_key: str, arm_count: int,
               traffic_percent: int) -> int | None:
    """Deterministic, sticky arm for a shopper: None when the shopper falls outside the
    experiment's traffic (they see the control and are not counted); 0 is the control,
    1..arm_count-1 the variants, split evenly among those inside the traffic.
    Uses a hash (sha256) of experiment_key and shopper_key, independent for traffic and arm.
    An empty ``shopper_key`` (a shopper who cannot be recognised again) is outside.
    """
    if arm_count < 1:
        raise ValueError(f"arm_count must be at least 1 (the control), got {arm_count}")
    if not 0 <= traffic_percent <= 100:
        raise ValueError(f"traffic_percent must be between 0 and 100, got {traffic_percent}")
    if not shopper_key or not in_traffic(experiment_key, shopper_key, traffic_percent):
        return None
    return _hash("arm", experiment_key, shopper_key) % arm_count
