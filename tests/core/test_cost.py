"""The cost model: the seed's figures exactly, the fuller estimate, tiers, price overrides."""

from __future__ import annotations

import json

import pytest

from jsonm_core import cost


def test_seed_estimate_reproduces_the_architecture_note_exactly():
    est = cost.seed_estimate(1000)
    assert est["storage_monthly"] == 0.99
    assert est["processing_temporary"] == 23.00
    assert est["transfer_onetime"] == 90.00
    assert est["total_estimate"] == 113.99
    assert f"{est['storage_monthly']:.2f}/{est['processing_temporary']:.2f}/" \
           f"{est['transfer_onetime']:.2f}" == "0.99/23.00/90.00"


def test_seed_estimate_ignores_price_overrides():
    prices = cost.load_prices({"storage": {"DEEP_ARCHIVE": 0.5}, "egress_per_gb": 1.0})
    assert prices["storage"]["DEEP_ARCHIVE"] == 0.5
    assert cost.seed_estimate(1000)["transfer_onetime"] == 90.0


@pytest.mark.parametrize("size,tier", [
    (0, "standard_browser_processing"),
    (cost.GB - 1, "standard_browser_processing"),
    (cost.GB, "hybrid_processing"),
    (100 * cost.GB - 1, "hybrid_processing"),
    (100 * cost.GB, "enterprise_cloud_processing"),
    (cost.parse_size("1TB"), "enterprise_cloud_processing"),
])
def test_seed_tier_names(size, tier):
    assert cost.seed_tier(size) == tier


def test_parse_size():
    assert cost.parse_size("1000GB") == 1000 * cost.GB
    assert cost.parse_size("64MiB") == cost.parse_size("64m") == 64 << 20
    assert cost.parse_size("1.5K") == 1536
    assert cost.parse_size("12345") == 12345
    with pytest.raises(ValueError, match="not a size"):
        cost.parse_size("12 parsecs")


def items(est: dict) -> dict:
    return {i["name"]: i["usd"] for i in est["items"]}


def test_fuller_estimate_line_items():
    size = 1000 * cost.GB
    est = cost.estimate(size, chunk_size=100 * cost.MB, tier="Bulk")
    it = items(est)
    assert est["chunks"] == 10240 and est["tier_name"] == "enterprise_cloud_processing"
    assert it["archive_storage"] == pytest.approx(1000 * 0.00099 * 6)  # 180-day minimum
    assert it["restore_retrieval"] == pytest.approx(1000 * 0.0025 + 0.025 / 1000)
    assert it["egress"] == pytest.approx(90.0)
    assert it["warm_storage"] == pytest.approx(23.0 * 7 / 30)
    assert it["results_ia"] == pytest.approx(10 * 0.0125)  # 1 % of size, 30-day minimum
    # requests scale with the chunk count
    small = items(cost.estimate(size, chunk_size=10 * cost.MB))
    assert small["browser_gets"] == pytest.approx(10 * it["browser_gets"])
    assert est["total"] == pytest.approx(sum(it.values()))
    standard = items(cost.estimate(size, tier="Standard"))
    assert standard["restore_retrieval"] == pytest.approx(1000 * 0.02 + 0.1 / 1000)


def test_minimum_storage_durations_apply():
    size = 100 * cost.GB
    short = items(cost.estimate(size, archive_days=10))
    assert short["archive_storage"] == pytest.approx(100 * 0.00099 * 180 / 30)
    longer = items(cost.estimate(size, archive_days=360))
    assert longer["archive_storage"] == pytest.approx(2 * short["archive_storage"])
    flex = items(cost.estimate(size, storage_class="GLACIER", archive_days=1))
    assert flex["archive_storage"] == pytest.approx(100 * 0.0036 * 90 / 30)


def test_expedited_is_not_offered_for_deep_archive():
    with pytest.raises(cost.PriceError, match="Expedited"):
        cost.estimate(cost.GB, tier="Expedited")
    assert items(cost.estimate(cost.GB, tier="Expedited", storage_class="GLACIER"))


def test_multipart_part_size_respects_the_10000_part_cap():
    assert cost.multipart_part_size(10 * cost.MB) == 100 * cost.MB
    big = 5 * (1 << 40)
    assert big / cost.multipart_part_size(big) <= 10_000


def test_price_file_overlay(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"as_of": "2030-01-01", "egress_per_gb": 0.05}))
    prices = cost.load_prices(str(path))
    est = cost.estimate(1000 * cost.GB, prices=prices)
    assert est["prices_as_of"] == "2030-01-01"
    assert items(est)["egress"] == pytest.approx(50.0)
    assert cost.PRICES["egress_per_gb"] == 0.09  # the default table is untouched
    with pytest.raises(cost.PriceError, match="not valid JSON"):
        cost.load_prices("{oops")
    with pytest.raises(cost.PriceError, match="cannot read"):
        cost.load_prices(str(tmp_path / "missing.json"))


def test_live_meter():
    meter = cost.CostMeter()
    for _ in range(4):
        meter.get(cost.GB // 4)
    meter.put(2)
    snap = meter.snapshot()
    assert snap["egress_bytes"] == cost.GB and snap["gets"] == 4 and snap["puts"] == 2
    assert snap["egress_usd"] == pytest.approx(0.09)
    assert snap["requests_usd"] == pytest.approx((4 * 0.0004 + 2 * 0.005) / 1000)
    assert snap["usd"] == pytest.approx(snap["egress_usd"] + snap["requests_usd"])
