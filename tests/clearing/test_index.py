"""The SIT and GPU-hour indices: normalisation, windows, outliers, weighting, holds, hashes,
the monthly settlement average, and every rejection of a quote."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearing.index import (GPU_METHODOLOGY, SIT_METHODOLOGY, IndexCalculator, IndexHistory,
                            IndexMethodology, IndexPublication, compute, inputs_hash, recompute,
                            select_candidates)
from clearing.reasons import Reason, Rejection
from clearing.types import NS_PER_DAY, NS_PER_SECOND, ProviderQuote

MIN = 60 * NS_PER_SECOND
T = 1_795_000_000 * NS_PER_SECOND  # 2026-11-18 10:13:20 UTC


def q(provider, inp, out=None, tier="standard", volume=100, age_min=1, name="SIT"):
    return ProviderQuote(name, provider, tier, inp, inp * 3 if out is None else out, volume,
                         T - age_min * MIN)


def publish(quotes, ts=T, m=SIT_METHODOLOGY):
    calc = IndexCalculator(m)
    for x in quotes:
        calc.add_quote(x)
    return calc.publish(ts)


def test_blend_is_three_input_to_one_output_and_tiers_normalise():
    m = SIT_METHODOLOGY
    assert m.normalise(q("a", 1_000_000, 5_000_000)) == 2_000_000  # (3 x 1 + 5) / 4 = 2 USD
    assert m.normalise(q("a", 250_000, 1_250_000, tier="small")) == 2_000_000  # 0.25 SIT a token
    assert m.normalise(q("a", 4_000_000, 20_000_000, tier="frontier")) == 2_000_000


def test_publishes_the_volume_weighted_median_with_enough_contributors():
    pub = publish([q("a", 1_000_000, 5_000_000, volume=10),
                   q("b", 1_100_000, 5_000_000, volume=10),  # 2.075
                   q("c", 1_200_000, 5_000_000, volume=1_000)])  # 2.150 carries the volume
    assert (pub.status, pub.value, pub.contributors) == ("ok", 2_150_000, 3)


def test_an_outlier_does_not_move_the_index():
    base = [q(p, 1_000_000 + i * 10_000, 5_000_000) for i, p in enumerate("abcd")]
    wild = publish(base + [q("e", 50_000_000, 5_000_000, volume=10_000)])
    assert wild.quotes_rejected["outlier"] == 1
    assert wild.value == publish(base).value


def test_stale_quotes_are_dropped_and_the_latest_per_provider_counts():
    quotes = [q("a", 1_000_000, 5_000_000), q("b", 1_000_000, 5_000_000),
              q("c", 1_000_000, 5_000_000),
              q("c", 9_000_000, 5_000_000, age_min=2),  # superseded by c's newer quote
              q("d", 9_000_000, 5_000_000, age_min=61)]  # older than the window
    pub = publish(quotes)
    assert pub.value == 2_000_000
    assert pub.quotes_rejected["superseded"] == 1 and pub.contributors == 3


def test_partitions_are_averaged():
    early = [q(p, 1_000_000, 5_000_000, age_min=50) for p in "abc"]  # 2.000 in slice 1
    late = [q(p, 1_400_000, 5_000_000, age_min=5) for p in "abc"]  # 2.300 in slice 4
    assert publish(early + late).value == 2_150_000


def test_below_min_contributors_it_holds_then_goes_stale():
    calc = IndexCalculator()
    for p in "abc":
        calc.add_quote(q(p, 1_000_000, 5_000_000))
    assert calc.publish(T).status == "ok"
    calc.add_quote(ProviderQuote("SIT", "a", "standard", 1_200_000, 5_000_000, 1, T + 90 * MIN))
    held = calc.publish(T + 91 * MIN)
    assert (held.status, held.value, held.contributors) == ("held", 2_000_000, 1)
    stale = calc.publish(T + 25 * 60 * MIN)
    assert (stale.status, stale.value) == ("stale", None)
    assert IndexCalculator().publish(T).status == "none"


def test_hash_recomputes_and_changes_with_any_input():
    quotes = [q(p, 1_000_000 + i, 5_000_000) for i, p in enumerate("abcd")]
    pub = publish(quotes)
    value, digest = recompute(pub.inputs, SIT_METHODOLOGY, T)
    assert (value, digest) == (pub.value, pub.inputs_hash)
    other = publish(quotes[:3] + [q("d", 1_000_004, 5_000_000)])
    assert other.inputs_hash != pub.inputs_hash
    assert recompute(pub.inputs, replace(SIT_METHODOLOGY, partitions=3), T)[1] != pub.inputs_hash


def test_gpu_index_normalises_gpu_types():
    quotes = [ProviderQuote("GPU", p, t, price, price, 10, T - MIN)
              for p, t, price in [("x", "H100", 2_500_000), ("y", "A100", 1_250_000),
                                  ("z", "B200", 5_000_000)]]
    assert publish(quotes, m=GPU_METHODOLOGY).value == 2_500_000


@pytest.mark.parametrize("bad", [
    q("a", 1_000_000, name="GPU"),
    q("a", 1_000_000, tier="galactic"),
    q("a", 0),
    q("a", -5),
    q("a", 1_000_000, volume=-1),
    q("a", 1.5),
])
def test_malformed_quotes_are_rejected(bad):
    calc = IndexCalculator()
    with pytest.raises(Rejection) as info:
        calc.add_quote(bad)
    assert info.value.reason == Reason.INVALID_QUOTE
    assert calc.publish(T).status == "none"


def test_monthly_settlement_is_the_average_of_daily_fixings():
    hist = IndexHistory()
    day0 = T - T % NS_PER_DAY  # 2026-11-18 00:00 UTC
    for d, v in enumerate([2_000_000, 2_100_000, 2_300_000]):
        for hour, value in ((10, v), (16, v), (20, 9_999_999)):  # after the fixing: ignored
            ts = day0 + d * NS_PER_DAY + hour * 60 * MIN
            hist.add(IndexPublication("SIT", ts, value, "ok", 3, 3, {}, (), ""))
    assert hist.monthly_settlement_value(2026, 11) == 2_133_333
    assert hist.monthly_settlement_value(2026, 12) is None


prices = st.integers(min_value=100_000, max_value=20_000_000)


@given(st.lists(st.tuples(prices, prices, st.integers(0, 1_000), st.integers(1, 59)),
                min_size=3, max_size=12), st.randoms())
def test_index_lies_within_the_accepted_quotes_and_ignores_arrival_order(rows, rnd):
    quotes = [q(f"p{i}", a, b, volume=v, age_min=age) for i, (a, b, v, age) in enumerate(rows)]
    pub = publish(quotes)
    shuffled = list(quotes)
    rnd.shuffle(shuffled)
    assert publish(shuffled).value == pub.value
    if pub.value is not None:
        values = [SIT_METHODOLOGY.normalise(x) for x in quotes]
        assert min(values) <= pub.value <= max(values)


@given(st.lists(st.tuples(st.sampled_from(["p0", "p1", "p2", "p3"]), st.sampled_from(["small", "standard"]),
                          prices, st.integers(-90, 10), st.integers(0, 3)), max_size=60),
       st.lists(st.integers(0, 100), min_size=1, max_size=6))
def test_a_publication_selects_as_the_reference_scan_of_the_window(rows, publish_at):
    """The calculator keeps each provider's and tier's quotes sorted and bisects them; the
    reference scans every quote of the window (`select_candidates`). Same candidates, counts,
    value and hash, whatever the arrival order, duplicates and quotes from the future."""
    m = SIT_METHODOLOGY
    calc = IndexCalculator(m)
    held: list = []  # the reference: every quote in arrival order, the stale ones dropped
    rows = iter(rows)
    for minutes in sorted(publish_at):
        ts = T + minutes * MIN
        for provider, tier, price, age_min, volume in [r for _, r in zip(range(10), rows)]:
            quote = ProviderQuote("SIT", provider, tier, price, 3 * price, volume, ts + age_min * MIN // 2)
            calc.add_quote(quote)
            held.append(quote)
        held = [x for x in held if x.ts > ts - m.window_ns]
        candidates, stale, superseded = select_candidates(held, m, ts)
        value, contributors, used, outliers = compute(candidates, m, ts)
        pub = calc.publish(ts)
        inputs = tuple((x.index_name, x.provider, x.tier, x.input_price, x.output_price, x.volume, x.ts)
                       for x in candidates)
        assert pub.inputs == inputs
        assert pub.quotes_rejected == {"stale": stale, "superseded": superseded, "outlier": outliers}
        assert (pub.contributors, pub.quotes_used) == (contributors, used)
        if value is not None:
            assert (pub.status, pub.value) == ("ok", value)
        assert pub.inputs_hash == inputs_hash(inputs, m, ts)


@pytest.mark.parametrize("bad", [{"partitions": 0}, {"window_ns": 3, "partitions": 4}, {"interval_ns": 0},
                                 {"min_contributors": 0}, {"input_weight": 0, "output_weight": 0}])
def test_a_methodology_that_cannot_publish_is_refused(bad):
    with pytest.raises(ValueError):
        IndexMethodology(**bad)


def test_publications_are_due_once_per_interval():
    calc = IndexCalculator()
    assert calc.due(T)
    calc.publish(T)
    assert not calc.due(T + SIT_METHODOLOGY.interval_ns - 1)
    assert calc.due(T + SIT_METHODOLOGY.interval_ns)
