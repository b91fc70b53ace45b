import copy
import math
import tomllib

import numpy as np
import pytest

from marketmakers.fundamental import simulate_paths
from marketmakers.rng import name_key, spawn_streams, stream
from marketmakers.scenarios import (
    SCENARIO_FILE,
    ScenarioError,
    list_scenarios,
    load_scenario,
    parse_scenario,
)

DATA = tomllib.loads(SCENARIO_FILE.read_text("utf-8"))


def test_the_shipped_scenarios_load():
    names = list_scenarios()
    assert {"baseline", "demand-explosion", "efficiency-shock", "gpu-baseline"} <= set(names)
    for name in names:
        s = load_scenario(name)
        assert s.name == name and s.price_usd > 0 and s.feed.providers
        assert s.index_name == s.feed.index_name


def test_the_scenarios_say_what_their_names_say():
    base, boom, shock = (load_scenario(n) for n in ("baseline", "demand-explosion", "efficiency-shock"))
    assert boom.params.theta(1.0) > base.params.theta(1.0)
    assert boom.params.jump_mean > 0 and boom.params.sigma > base.params.sigma
    assert shock.params.jump_mean < base.params.jump_mean <= 0.0
    assert shock.params.theta(1.0) < base.params.theta(1.0)
    assert 1.0 < base.price_usd < 3.0  # about 2 USD per million SIT today


def test_the_demand_explosion_ends_above_and_the_efficiency_shock_below_the_baseline():
    def median_end(name):
        s = load_scenario(name)
        x = simulate_paths(s.params, math.log(s.price_usd), 1 / 52, 52, 2_000, stream(1, name))
        return float(np.median(np.exp(x[:, -1])))
    assert median_end("demand-explosion") > median_end("baseline") > median_end("efficiency-shock")


def test_an_unknown_scenario_names_the_known_ones():
    with pytest.raises(ScenarioError, match="baseline"):
        load_scenario("nope")


def _broken(path, value):
    data = copy.deepcopy(DATA)
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


@pytest.mark.parametrize("path,value,message", [
    (("scenarios", "baseline", "kappa"), -1.0, "kappa"),
    (("scenarios", "baseline", "sigma"), "high", "sigma must be a number"),
    (("scenarios", "baseline", "jump_rate"), KeyError, "missing keys \\['jump_rate'\\]"),
    (("scenarios", "baseline", "colour"), "red", "unknown keys \\['colour'\\]"),
    (("scenarios", "baseline", "theta"), [[0.0, 2.0], [0.0, 3.0]], "increasing"),
    (("scenarios", "baseline", "theta"), [2.0], "pairs"),
    (("scenarios", "baseline", "price_usd"), 0.0, "price_usd"),
    (("scenarios", "baseline", "feed"), "missing-feed", "missing-feed"),
    (("scenarios", "baseline", "index_name"), "GPU", "quotes 'SIT'"),
    (("feeds", "sit-providers", "providers", 0, "tier"), "H100", "tier"),
    (("feeds", "sit-providers", "providers", 0, "outlier_prob"), 2.0, "outlier_prob"),
    (("feeds", "sit-providers", "providers", 0, "noise_bps"), 1.5, "noise_bps must be an integer"),
])
def test_a_broken_scenario_says_where_it_is_broken(path, value, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(_broken(path, value), "baseline")


def test_streams_depend_only_on_seed_and_name():
    few = spawn_streams(42, ["a", "b"])
    many = spawn_streams(42, ["z", "b", "y", "a"])
    assert np.array_equal(few["a"].random(5), many["a"].random(5))
    assert np.array_equal(few["b"].random(5), many["b"].random(5))
    assert not np.array_equal(stream(42, "a").random(5), stream(42, "b").random(5))
    assert not np.array_equal(stream(42, "a").random(5), stream(43, "a").random(5))
    assert name_key("maker") == name_key("maker") and len(name_key("maker")) == 4


def test_stream_names_must_be_unique_and_seeds_non_negative():
    with pytest.raises(ValueError):
        spawn_streams(1, ["a", "a"])
    with pytest.raises(ValueError):
        stream(-1, "a")
