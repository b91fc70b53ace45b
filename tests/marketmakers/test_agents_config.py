"""The agents file: the default loads, and every rejection names the group and the key."""

import pytest

from marketmakers.agents.config import (
    DEFAULT_FILE,
    AgentsConfigError,
    build_agents,
    default_agents,
    load_agents,
    parse_agents,
)
from marketmakers.obligations import Obligation


def test_the_default_file_has_5_makers_and_200_others():
    config = default_agents()
    makers = sum(g.count for g in config.groups if g.kind == "market_maker")
    others = sum(g.count for g in config.groups if g.kind != "market_maker")
    assert (makers, others) == (5, 200)
    assert config.obligation == Obligation(max_spread_ticks=20, min_size=10, min_presence=0.80)
    agents = build_agents(config, seed=1)
    assert len(agents) == 205
    assert len({a.account for a in agents}) == 205
    assert sum(a.market_maker for a in agents) == 5


def test_parameters_reach_the_agents_and_names_are_numbered_per_kind():
    config = parse_agents({"group": [
        {"kind": "market_maker", "count": 2, "levels": 2, "expiry": 2},
        {"kind": "noise", "count": 1, "max_open": 7},
        {"kind": "noise", "count": 1},
    ]})
    agents = build_agents(config, seed=3)
    assert [a.name for a in agents] == ["market-maker-1", "market-maker-2", "noise-1", "noise-2"]
    assert agents[0].p.levels == 2 and agents[0].p.expiry == 2
    assert agents[2].p.max_open == 7 and agents[3].p.max_open == 4
    assert config.obligation_symbol([("A", 1), ("B", 2)]) == "B"  # the first makers' expiry


@pytest.mark.parametrize(("data", "words"), [
    ({"group": [{"kind": "wizard"}]}, ["group 0 (wizard)", "kind must be one of"]),
    ({"group": [{"count": 1}]}, ["group 0 (?)", "kind must be one of"]),
    ({"group": [{"kind": "noise"}, {"kind": "noise", "sise": 3}]}, ["group 1 (noise)", "sise"]),
    ({"group": [{"kind": "hedger", "count": -1}]}, ["group 0 (hedger)", "count"]),
    ({"group": [{"kind": "hedger", "count": 1.5}]}, ["group 0 (hedger)", "count"]),
    ({"group": [{"kind": "hedger", "count": True}]}, ["group 0 (hedger)", "count"]),
    ({"group": [{"kind": "momentum", "fast": 0.01, "slow": 0.5}]}, ["group 0 (momentum)", "slow < fast"]),
    ({"group": [{"kind": "market_maker", "model": "xyz"}]}, ["group 0 (market_maker)", "model"]),
    ({"group": [{"kind": "market_maker", "levels": 0}]}, ["group 0 (market_maker)", "levels"]),
    ({"group": [{"kind": "noise", "market_prob": 2.0}]}, ["group 0 (noise)", "market_prob"]),
    ({"group": [{"kind": "arbitrageur", "size": 0}]}, ["group 0 (arbitrageur)", "size"]),
    ({"group": [{"kind": "mean_reversion", "alpha": 0}]}, ["group 0 (mean_reversion)", "alpha"]),
    ({"group": [{"kind": "hedger", "months": 0}]}, ["group 0 (hedger)", "months"]),
    ({"group": []}, ["no [[group]]"]),
    ({}, ["no [[group]]"]),
    ({"group": [{"kind": "noise"}], "agent": []}, ["unknown top-level keys", "agent"]),
    ({"group": [{"kind": "noise"}], "obligation": {"min_presence": 1.5}}, ["[obligation]", "min_presence"]),
    ({"group": [{"kind": "noise"}], "obligation": {"max_spread": 3}}, ["[obligation]", "max_spread"]),
])
def test_every_rejection_names_the_group_and_the_key(data, words):
    with pytest.raises(AgentsConfigError) as info:
        parse_agents(data, where="my.toml")
    message = str(info.value)
    assert message.startswith("my.toml")
    for word in words:
        assert word in message, message


def test_load_agents_names_the_file(tmp_path):
    path = tmp_path / "agents.toml"
    path.write_text('[[group]]\nkind = "noise"\ncount = 2\n')
    assert load_agents(path).groups[0].count == 2
    path.write_text('[[group]]\nkind = "noise"\ncolour = "red"\n')
    with pytest.raises(AgentsConfigError, match=r"agents\.toml group 0 \(noise\): unknown keys \['colour'\]"):
        load_agents(path)


def test_an_unreadable_or_malformed_file_is_an_agents_config_error(tmp_path):
    with pytest.raises(AgentsConfigError, match="missing.toml"):
        load_agents(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[group]\nkind = \n")
    with pytest.raises(AgentsConfigError, match="bad.toml"):
        load_agents(bad)
    with pytest.raises(AgentsConfigError, match="is_a_dir"):
        (tmp_path / "is_a_dir").mkdir()
        load_agents(tmp_path / "is_a_dir")


@pytest.mark.parametrize("key_value", [("wake_s", -1.0), ("cash_usd", -5), ("expiry", 0),
                                       ("latency_median_us", 0), ("product", "XYZ")])
def test_bad_common_parameters_are_rejected_too(key_value):
    key, value = key_value
    with pytest.raises(AgentsConfigError, match=key):
        parse_agents({"group": [{"kind": "noise", key: value}]})


def test_the_default_file_is_the_one_shipped():
    assert DEFAULT_FILE.name == "agents.toml" and DEFAULT_FILE.exists()


def test_with_counts_sizes_a_kind_keeping_its_groups_proportions():
    config = default_agents()  # makers: 3 Avellaneda-Stoikov on the front month, 2 GLFT on the next
    assert [g.count for g in config.with_counts({"market_maker": 10}).groups
            if g.kind == "market_maker"] == [6, 4]
    assert [g.count for g in config.with_counts({"market_maker": 1}).groups
            if g.kind == "market_maker"] == [1, 0]
    assert [g.count for g in config.with_counts({"market_maker": 4}).groups
            if g.kind == "market_maker"] == [2, 2]  # 2.4 and 1.6: the larger remainder
    sized = config.with_counts({"market_maker": 0, "hedger": 7})
    assert (sized.count("market_maker"), sized.count("hedger")) == (0, 7)
    assert sized.count("noise") == config.count("noise") == 130
    assert config.count("market_maker") == 5  # the original is unchanged
    empty = parse_agents({"group": [{"kind": "noise", "count": 0}, {"kind": "noise", "count": 0}]})
    assert [g.count for g in empty.with_counts({"noise": 3}).groups] == [3, 0]


@pytest.mark.parametrize(("counts", "words"), [
    ({"wizard": 2}, ["unknown agent kind", "wizard"]),
    ({"hedger": -1}, ["hedger", "integer >= 0"]),
    ({"hedger": 2.0}, ["hedger", "integer >= 0"]),
    ({"hedger": True}, ["hedger", "integer >= 0"]),
    ({"arbitrageur": 3}, ["no group of kind", "arbitrageur"]),
])
def test_with_counts_refuses_naming_the_kind(counts, words):
    config = parse_agents({"group": [{"kind": "hedger", "count": 2}]})
    with pytest.raises(AgentsConfigError) as e:
        config.with_counts(counts)
    for word in words:
        assert word in str(e.value)
