"""The cost model: the seed's estimate (kept bit-for-bit), a fuller one, and a live meter.

Pure Python, standard library only: the page imports it in Pyodide to show the estimate and a
running meter of what the analyst's own fetches cost.  All prices live in `PRICES`, one dated
table (AWS us-east-1 public list prices); `load_prices` overlays a JSON file on it.

Units: AWS bills storage and transfer per GB of 2**30 bytes, so sizes in bytes are converted
with `GB = 2**30`; sizes given as "1000GB" on the command line mean 1000 of those.
"""

from __future__ import annotations

import copy
import json
import math
import re
from decimal import Decimal
from typing import Any, Mapping

GB = 1 << 30
MB = 1 << 20
DAYS_PER_MONTH = 30

PRICES: dict[str, Any] = {
    "as_of": "2025-01-01",
    "source": "AWS S3 pricing, us-east-1, public list prices (check before relying on them)",
    "currency": "USD",
    # USD per GB-month
    "storage": {"STANDARD": 0.023, "STANDARD_IA": 0.0125, "GLACIER": 0.0036,
                "DEEP_ARCHIVE": 0.00099},
    # minimum billed storage duration, days
    "min_days": {"STANDARD": 0, "STANDARD_IA": 30, "GLACIER": 90, "DEEP_ARCHIVE": 180},
    # USD per 1,000 requests
    "put_per_1000": {"STANDARD": 0.005, "STANDARD_IA": 0.01, "GLACIER": 0.03,
                     "DEEP_ARCHIVE": 0.05},
    "get_per_1000": {"STANDARD": 0.0004, "STANDARD_IA": 0.001, "GLACIER": 0.0004,
                     "DEEP_ARCHIVE": 0.0004},
    # restore (retrieval) per storage class and tier: USD per GB, USD per 1,000 restore requests,
    # and the documented typical wait in hours
    "restore": {
        "GLACIER": {"Expedited": {"per_gb": 0.03, "per_1000": 10.0, "hours": 0.08},
                    "Standard": {"per_gb": 0.01, "per_1000": 0.05, "hours": 5},
                    "Bulk": {"per_gb": 0.0, "per_1000": 0.025, "hours": 12}},
        "DEEP_ARCHIVE": {"Standard": {"per_gb": 0.02, "per_1000": 0.10, "hours": 12},
                         "Bulk": {"per_gb": 0.0025, "per_1000": 0.025, "hours": 48}},
    },
    # data transfer out to the internet, first 10 TB/month tier, USD per GB
    "egress_per_gb": 0.09,
    # the seed's three rates, kept apart so the seed estimate never drifts with the table
    "seed": {"glacier_per_gb_month": "0.00099", "warm_per_gb_month": "0.023",
             "egress_per_gb": "0.09"},
}

SEED_TIERS = (
    (1 * GB, "standard_browser_processing"),
    (100 * GB, "hybrid_processing"),
    (None, "enterprise_cloud_processing"),
)

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


class PriceError(ValueError):
    """A price file is unreadable or names a class/tier the model does not know."""


def parse_size(text: str | int) -> int:
    """"1000GB", "64MiB", "1.5T", "12345" (bytes) -> bytes; binary units, as AWS bills."""
    if isinstance(text, int):
        return text
    m = _SIZE.match(str(text))
    if not m:
        raise ValueError(f"not a size: {text!r} (e.g. 1000GB, 64MB, 12345)")
    return int(Decimal(m.group(1)) * _UNITS[m.group(2).lower()])


def format_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1024 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def multipart_part_size(size_bytes: int, preferred: int = 100 * MB) -> int:
    """Part size for a multipart upload: `preferred`, grown so S3's 10,000-part cap holds."""
    return max(preferred, 5 * MB, math.ceil(size_bytes / 10_000))


def seed_tier(size_bytes: int) -> str:
    """The seed's processing tier name for a file of this size."""
    for limit, name in SEED_TIERS:
        if limit is None or size_bytes < limit:
            return name
    raise AssertionError("unreachable")


def seed_estimate(size_gb: float | int | str | Decimal) -> dict:
    """The seed's estimate_processing_cost(file_size_gb), with its exact arithmetic.

    Decimal so that 1000 GB gives exactly 0.99 / 23.00 / 90.00 (and 113.99 total).
    """
    gb = Decimal(str(size_gb))
    rates = PRICES["seed"]
    glacier = gb * Decimal(rates["glacier_per_gb_month"])
    warm = gb * Decimal(rates["warm_per_gb_month"])
    egress = gb * Decimal(rates["egress_per_gb"])
    return {"storage_monthly": float(glacier), "processing_temporary": float(warm),
            "transfer_onetime": float(egress), "total_estimate": float(glacier + warm + egress)}


def load_prices(source: str | Mapping[str, Any] | None = None) -> dict:
    """The default table overlaid with a JSON file path, JSON text or dict (deep merge)."""
    prices = copy.deepcopy(PRICES)
    if source is None:
        return prices
    if isinstance(source, Mapping):
        override = dict(source)
    else:
        text = source
        if not source.lstrip().startswith("{"):
            try:
                with open(source, encoding="utf-8") as fh:
                    text = fh.read()
            except OSError as exc:
                raise PriceError(f"cannot read price file {source}: {exc.strerror}") from None
        try:
            override = json.loads(text)
        except ValueError as exc:
            raise PriceError(f"price file is not valid JSON: {exc}") from None
    if not isinstance(override, dict):
        raise PriceError("price file must hold a JSON object")
    _merge(prices, override, "")
    return prices


def _merge(base: dict, over: Mapping, where: str) -> None:
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value, f"{where}{key}.")
        elif isinstance(value, Mapping) or isinstance(value, (int, float, str)) or value is None:
            base[key] = copy.deepcopy(value)
        else:
            raise PriceError(f"price {where}{key} has an unusable value {value!r}")


def restore_terms(prices: Mapping, storage_class: str, tier: str) -> dict:
    """Per-GB fee, per-1,000-request fee and typical hours for restoring from a class by tier."""
    by_class = prices["restore"].get(storage_class)
    if by_class is None:
        raise PriceError(f"objects in {storage_class} need no restore")
    terms = by_class.get(tier)
    if terms is None:
        raise PriceError(f"{storage_class} cannot be restored with tier {tier} "
                         f"(tiers: {', '.join(by_class)})")
    return terms


def estimate(size_bytes: int, *, chunk_size: int = 100 * MB, tier: str = "Bulk",
             storage_class: str = "DEEP_ARCHIVE", archive_days: int | None = None,
             restore_days: int = 7, warm_days: int = 7, results_fraction: float = 0.01,
             results_days: int = 30, egress_fraction: float = 1.0,
             upload_part_size: int = 100 * MB, prices: Mapping | None = None) -> dict:
    """The fuller estimate: line items the seed leaves out, each with a note.

    archive_days defaults to the storage class's minimum billed duration (what you pay even
    if you delete sooner); egress_fraction < 1 models gzip-compressed parts.
    """
    p = prices if prices is not None else PRICES
    gb = size_bytes / GB
    chunks = max(1, math.ceil(size_bytes / chunk_size)) if size_bytes else 0
    min_days = p["min_days"].get(storage_class, 0)
    days = max(archive_days if archive_days is not None else min_days, min_days)
    items: list[dict] = []

    def add(name: str, usd: float, note: str) -> None:
        items.append({"name": name, "usd": round(usd, 6), "note": note})

    add("archive_storage", gb * p["storage"][storage_class] * days / DAYS_PER_MONTH,
        f"{storage_class} for {days} days (minimum billed {min_days} days)")
    upload_parts = math.ceil(size_bytes / multipart_part_size(size_bytes, upload_part_size)) + 2
    add("upload_requests", upload_parts * p["put_per_1000"][storage_class] / 1000,
        f"{upload_parts} multipart upload requests into {storage_class}")
    if storage_class in p["restore"]:
        terms = restore_terms(p, storage_class, tier)
        add("restore_retrieval", gb * terms["per_gb"] + terms["per_1000"] / 1000,
            f"{tier} retrieval, typically ~{terms['hours']} h")
        add("restored_copy", gb * p["storage"]["STANDARD"] * restore_days / DAYS_PER_MONTH,
            f"temporary restored copy billed as STANDARD for {restore_days} days")
    add("warm_storage", gb * p["storage"]["STANDARD"] * warm_days / DAYS_PER_MONTH,
        f"warm chunks kept {warm_days} days (the seed bills a full month)")
    add("staging_requests", chunks * (p["get_per_1000"][storage_class]
                                      + 2 * p["put_per_1000"]["STANDARD"]) / 1000,
        f"{chunks} ranged GETs of the source, {chunks} chunk PUTs and live-manifest rewrites")
    add("browser_gets", chunks * p["get_per_1000"]["STANDARD"] / 1000,
        f"{chunks} chunk GETs by the page")
    add("egress", gb * egress_fraction * p["egress_per_gb"],
        "transfer out to the browser" + (f" ({egress_fraction:.0%} of size)"
                                         if egress_fraction != 1 else ""))
    res_days = max(results_days, p["min_days"]["STANDARD_IA"])
    add("results_ia", gb * results_fraction * p["storage"]["STANDARD_IA"] * res_days / DAYS_PER_MONTH,
        f"results ({results_fraction:.0%} of size) in STANDARD_IA for {res_days} days "
        f"(minimum {p['min_days']['STANDARD_IA']})")
    total = sum(i["usd"] for i in items)
    return {"size_bytes": size_bytes, "size_gb": gb, "chunks": chunks, "chunk_size": chunk_size,
            "storage_class": storage_class, "tier": tier, "tier_name": seed_tier(size_bytes),
            "prices_as_of": p.get("as_of"), "items": items, "total": round(total, 6)}


class CostMeter:
    """Running cost of what a client actually did: bytes egressed and requests made.

    The page feeds it from its fetches; `jsonm scan MANIFEST` from its own.
    """

    def __init__(self, prices: Mapping | None = None) -> None:
        self.prices = prices if prices is not None else PRICES
        self.egress_bytes = 0
        self.gets = 0
        self.puts = 0

    def get(self, nbytes: int) -> None:
        """One GET that transferred nbytes over the wire."""
        self.gets += 1
        self.egress_bytes += nbytes

    def put(self, n: int = 1) -> None:
        self.puts += n

    def snapshot(self) -> dict:
        p = self.prices
        egress = self.egress_bytes / GB * p["egress_per_gb"]
        requests = (self.gets * p["get_per_1000"]["STANDARD"]
                    + self.puts * p["put_per_1000"]["STANDARD"]) / 1000
        return {"egress_bytes": self.egress_bytes, "gets": self.gets, "puts": self.puts,
                "egress_usd": egress, "requests_usd": requests, "usd": egress + requests}
