"""The demo's sample shop (``sample_data/shop.json``) as engine objects."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from ..engine.documents import ProductDocument
from ..engine.events import Event


@dataclass(frozen=True)
class Shopper:
    key: str
    label: str
    events: list[Event]


@dataclass(frozen=True)
class SampleShop:
    channel: str
    documents: list[ProductDocument]
    channels: dict[int, list[str]]
    shoppers: list[Shopper]
    new_events: list[Event]

    @property
    def names(self) -> dict[int, str]:
        return {doc.product_id: doc.name for doc in self.documents}

    def sold_in(self, channel: str) -> set[int]:
        return {pid for pid, channels in self.channels.items() if channel in channels}


def default_path() -> Path:
    return Path(str(resources.files("saleor_personalization") / "sample_data" / "shop.json"))


def load_sample_shop(now: datetime, path: Path | None = None) -> SampleShop:
    """Read the sample shop; event times are relative to ``now``."""
    path = path or default_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the sample shop: {exc}") from exc
    channel = raw["channel"]
    documents = [
        ProductDocument(
            product_id=int(p["id"]),
            name=p["name"],
            description=p.get("description", ""),
            category_path=p.get("category", []),
            attributes=p.get("attributes", {}),
        )
        for p in raw["products"]
    ]
    channels = {int(p["id"]): list(p.get("channels", [channel])) for p in raw["products"]}

    def event(key: str, item: dict[str, Any]) -> Event:
        return Event(
            shopper_key=key,
            product_id=int(item["product"]),
            event_type=item["type"],
            occurred_at=now - timedelta(minutes=float(item["minutes_ago"])),
            channel=channel,
        )

    shoppers = [
        Shopper(s["key"], s["label"], [event(s["key"], e) for e in s["events"]])
        for s in raw["shoppers"]
    ]
    new_events = [event(e["shopper"], e) for e in raw.get("new_events", [])]
    return SampleShop(channel, documents, channels, shoppers, new_events)
