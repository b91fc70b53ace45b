"""The clearing rulebook: documented defaults, and every bad value refused at construction."""

import dataclasses

import pytest

from clearing.config import BPS, NS_PER_HOUR, ClearingConfig


def test_defaults_are_valid_and_integer():
    cfg = ClearingConfig()
    for f in dataclasses.fields(cfg):
        assert type(getattr(cfg, f.name)) is int, f.name
    assert cfg.cover == 2
    assert cfg.cure_period_ns == 2 * NS_PER_HOUR
    assert cfg.spot_month_limit <= cfg.position_limit


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ClearingConfig().maker_fee = 0


def test_skin_in_the_game_is_its_share_of_capital_rounded_down():
    assert ClearingConfig().skin_in_the_game == ClearingConfig().ccp_capital // 4
    assert ClearingConfig(ccp_capital=1_003, skin_bps=2_500).skin_in_the_game == 250
    assert ClearingConfig(ccp_capital=1_000, skin_bps=BPS).skin_in_the_game == 1_000
    assert ClearingConfig(ccp_capital=0).skin_in_the_game == 0


def test_cover_one_is_an_option():
    assert ClearingConfig(cover=1).cover == 1


@pytest.mark.parametrize("changes, message", [
    ({"maker_fee": -1}, "fees"),
    ({"taker_fee": -1}, "fees"),
    ({"mm_rebate": -1}, "fees"),
    ({"cure_period_ns": -1}, "cure"),
    ({"hard_floor_bps": -1}, "hard floor"),
    ({"hard_floor_bps": BPS + 1}, "hard floor"),
    ({"position_limit": 0}, "position limits"),
    ({"spot_month_limit": 0}, "position limits"),
    ({"ccp_capital": -1}, "capital"),
    ({"skin_bps": 2_499}, "skin"),  # EMIR: at least 25% of capital
    ({"skin_bps": BPS + 1}, "skin"),
    ({"cover": 3}, "cover"),
    ({"cover": 0}, "cover"),
    ({"gf_minimum": -1}, "minimum"),
    ({"stress_multiple_bps": 0}, "stress"),
    ({"basis_alpha_bps": 0}, "smoothing"),
    ({"basis_alpha_bps": BPS + 1}, "smoothing"),
    ({"basis_clamp_bps": -1}, "mark bounds"),
    ({"max_spread_bps": -1}, "mark bounds"),
])
def test_bad_values_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        ClearingConfig(**changes)


@pytest.mark.parametrize("changes", [
    {"maker_fee": 0, "taker_fee": 0, "mm_rebate": 0},
    {"cure_period_ns": 0},
    {"hard_floor_bps": 0},
    {"hard_floor_bps": BPS},
    {"skin_bps": 2_500},
    {"basis_alpha_bps": BPS},
    {"basis_clamp_bps": 0, "max_spread_bps": 0},
])
def test_boundary_values_are_accepted(changes):
    cfg = ClearingConfig(**changes)
    for name, value in changes.items():
        assert getattr(cfg, name) == value
