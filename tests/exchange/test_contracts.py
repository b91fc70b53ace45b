from datetime import datetime, timezone
from decimal import Decimal

import pytest

from exchange.contracts import (GPU, PRO_RATA, SIT, ContractSpec, contract_symbol,
                                last_business_day, last_trade_ts, listing_calendar, parse_symbol,
                                with_rules)
from tests.exchange.conftest import T0


def ns(*args):
    return int(datetime(*args, tzinfo=timezone.utc).timestamp()) * 1_000_000_000


def test_symbols_use_futures_month_codes():
    assert contract_symbol("SIT", 2027, 1) == "SITF27"
    assert contract_symbol("GPU", 2026, 12) == "GPUZ26"
    assert parse_symbol("SITF27") == ("SIT", 2027, 1)
    assert parse_symbol("GPUZ26") == ("GPU", 2026, 12)


@pytest.mark.parametrize("bad", ["", "SIT", "SITA27", "SITF2X"])
def test_parse_symbol_refuses_non_futures_symbols(bad):
    with pytest.raises(ValueError):
        parse_symbol(bad)


def test_tick_value_is_one_dollar_per_tick():
    assert SIT.tick_value == 100  # 0.001 USD x 1,000 million SIT = 1 USD
    assert SIT.tick_size_micro == 1_000


def test_tick_value_must_be_whole_cents():
    odd = with_rules(SIT, tick_size=Decimal("0.000001"))
    with pytest.raises(ValueError):
        odd.tick_value


def test_last_trade_is_16_utc_on_last_business_day():
    assert last_business_day(2027, 1) == 29  # 30/31 Jan 2027 are Sat/Sun
    assert last_business_day(2026, 11) == 30
    assert last_trade_ts(SIT, 2027, 1) == ns(2027, 1, 29, 16)
    spec = ContractSpec(SIT, 2027, 1)
    assert spec.symbol == "SITF27" and spec.last_trade_ts == ns(2027, 1, 29, 16)
    assert spec.name == "SIT Futures Jan 2027"


def test_price_tick_conversion_is_exact():
    spec = ContractSpec(SIT, 2027, 1)
    assert spec.price_to_ticks(Decimal("2.345")) == 2_345
    assert spec.ticks_to_price(2_345) == Decimal("2.345")
    with pytest.raises(ValueError):
        spec.price_to_ticks(Decimal("2.3455"))


def test_clearing_terms_and_describe_carry_the_contract():
    spec = ContractSpec(GPU, 2027, 3)
    terms = spec.clearing_terms()
    assert (terms.symbol, terms.product, terms.tick_value, terms.last_trade_ts) == (
        "GPUH27", "GPU", 100, spec.last_trade_ts)
    d = spec.describe()
    assert d["symbol"] == "GPUH27" and d["tick_size"] == "0.001" and d["tick_value"] == "1"
    assert d["expiry"] == "2027-03-31T16:00:00+00:00"


def test_listing_calendar_lists_twelve_months_from_now():
    cal = listing_calendar(SIT, T0)  # 18 Nov 2026: November has not expired yet
    assert [c.symbol for c in cal][:3] == ["SITX26", "SITZ26", "SITF27"]
    assert len(cal) == 12 and cal[-1].symbol == "SITV27"


def test_listing_calendar_skips_the_month_after_its_last_trade():
    after = ns(2026, 11, 30, 16)  # exactly the November last trade
    cal = listing_calendar(SIT, after)
    assert cal[0].symbol == "SITZ26" and cal[-1].symbol == "SITX27"


def test_with_rules_changes_only_what_is_asked():
    pr = with_rules(SIT, allocation=PRO_RATA)
    assert pr.allocation == "pro_rata" and SIT.allocation == "fifo"
    assert pr.band_bps == SIT.band_bps and pr.code == "SIT"
