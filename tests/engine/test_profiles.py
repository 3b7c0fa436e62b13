from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from saleor_personalization.engine import profiles
from saleor_personalization.engine.events import Event, EventType
from saleor_personalization.engine.profiles import ProfileConfig

T0 = datetime(2026, 1, 1, tzinfo=UTC)
E1 = np.array([1.0, 0.0, 0.0], dtype=np.float32)
E2 = np.array([0.0, 1.0, 0.0], dtype=np.float32)
E3 = np.array([0.0, 0.0, 1.0], dtype=np.float32)
VECTORS = {1: E1, 2: E2, 3: E3}


def event(pid: int, kind: str, minutes: float) -> Event:
    return Event("s", pid, kind, T0 + timedelta(minutes=minutes))


def test_long_term_is_weighted_and_time_decayed_mean():
    config = ProfileConfig(half_life_days=1.0)
    # A purchase (5) one half-life before a view (1): 5 * 0.5 = 2.5 against 1.
    state = profiles.long_term(
        [event(2, "view", 1440), event(1, "purchase", 0)], VECTORS, config
    )
    assert state.weight_sum == pytest.approx(3.5)
    assert state.vector_sum == pytest.approx([2.5, 1.0, 0.0])
    expected = np.array([2.5, 1.0, 0.0]) / np.linalg.norm([2.5, 1.0, 0.0])
    assert state.preference() == pytest.approx(expected, abs=1e-6)


def test_incremental_updates_equal_replay_even_out_of_order():
    config = ProfileConfig(half_life_days=2.0)
    events = [event(1, "view", 0), event(2, "add_to_cart", 600), event(3, "purchase", 3000)]
    replayed = profiles.long_term(events, VECTORS, config)
    state = None
    for e in (events[2], events[0], events[1]):
        state = profiles.add_event(state, VECTORS[e.product_id], e.event_type, e.occurred_at, config)
    assert state.as_of == replayed.as_of
    assert state.vector_sum == pytest.approx(replayed.vector_sum)
    assert state.weight_sum == pytest.approx(replayed.weight_sum)
    assert state.event_count == 3


def test_products_without_vectors_are_skipped():
    assert profiles.long_term([event(99, "view", 0)], VECTORS, ProfileConfig()) is None


def test_short_term_is_the_latest_visit_only():
    config = ProfileConfig(session_gap_minutes=30)
    history = [event(1, "view", 0), event(2, "view", 120), event(3, "view", 130)]
    session = profiles.current_session(history, config)
    assert [e.product_id for e in session] == [3, 2]
    vector = profiles.short_term(history, VECTORS, config)
    # Newest counts 1, the one before 0.5 ** 0.5.
    expected = np.array([0.0, 0.5**0.5, 1.0]) / np.linalg.norm([0.0, 0.5**0.5, 1.0])
    assert vector == pytest.approx(expected, abs=1e-6)


def test_short_term_is_none_when_the_visit_is_over():
    config = ProfileConfig(session_gap_minutes=30)
    history = [event(1, "view", 0)]
    assert profiles.short_term(history, VECTORS, config, now=T0 + timedelta(hours=2)) is None
    assert profiles.short_term(history, VECTORS, config, now=T0 + timedelta(minutes=5)) is not None


def test_blend():
    config = ProfileConfig(short_term_weight=0.5)
    assert profiles.blend(None, E2, config) is E2
    assert profiles.blend(E1, None, config) is E1
    assert profiles.blend(E1, E2, config) == pytest.approx(np.array([1, 1, 0]) / np.sqrt(2))
    assert profiles.blend(None, None, config) is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"half_life_days": 0}, "half_life_days"),
        ({"short_term_weight": 1.5}, "short_term_weight"),
        ({"session_items": 0}, "session_items"),
        ({"event_weights": {EventType.VIEW: 1.0}}, "no weight for"),
    ],
)
def test_config_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ProfileConfig(**kwargs)


def test_events_validate_their_fields():
    with pytest.raises(ValueError, match="unknown event type 'like'"):
        Event("s", 1, "like", T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        Event("s", 1, "view", datetime(2026, 1, 1))
    assert Event("s", 1, "VIEW", T0).event_type is EventType.VIEW
