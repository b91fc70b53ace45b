import math

import numpy as np
import pytest

from marketmakers.fundamental import Fundamental, JumpDiffusionParams, simulate_paths
from marketmakers.rng import spawn_streams, stream

JUMPY = JumpDiffusionParams.constant(2.0, kappa=4.0, sigma=0.5, jump_rate=6.0, jump_mean=-0.08,
                                     jump_std=0.12)


def _sample_se(x):
    """Standard errors of the sample mean and of the sample variance of iid draws."""
    n = x.size
    c = x - x.mean()
    var = c.var()
    return math.sqrt(var / n), math.sqrt((np.mean(c ** 4) - var ** 2) / n)


def test_stationary_mean_and_variance_match_the_formulas():
    # 65 half-lives from the stationary mean: the terminal values are draws of the stationary law.
    x = simulate_paths(JUMPY, JUMPY.stationary_mean(), 1 / 52, 600, 20_000, stream(7, "moments"))
    end = x[:, -1]
    se_mean, se_var = _sample_se(end)
    expected_mean = math.log(2.0) + 6.0 * -0.08 / 4.0
    expected_var = 0.5 ** 2 / 8.0 + 6.0 * (0.08 ** 2 + 0.12 ** 2) / 8.0
    assert abs(end.mean() - expected_mean) < 4 * se_mean
    assert abs(end.var() - expected_var) < 4 * se_var
    assert JUMPY.stationary_mean() == pytest.approx(expected_mean)
    assert JUMPY.stationary_variance() == pytest.approx(expected_var)


@pytest.mark.parametrize("n_steps", [1, 40])
def test_exact_step_matches_the_ou_conditional_law_without_jumps(n_steps):
    # An Euler scheme with one step of half a year would miss this badly; the exact step does not.
    p = JumpDiffusionParams.constant(2.0, kappa=3.0, sigma=0.6, jump_rate=0.0, jump_mean=0.0,
                                     jump_std=0.0)
    x0, horizon = math.log(5.0), 0.5
    x = simulate_paths(p, x0, horizon / n_steps, n_steps, 40_000, stream(3, "ou"))[:, -1]
    theta = math.log(2.0)
    mean = theta + (x0 - theta) * math.exp(-3.0 * horizon)
    var = 0.6 ** 2 * (1 - math.exp(-2 * 3.0 * horizon)) / (2 * 3.0)
    se_mean, se_var = _sample_se(x)
    assert abs(x.mean() - mean) < 4 * se_mean
    assert abs(x.var() - var) < 4 * se_var


def test_jump_count_mean_is_lambda_times_horizon():
    _, counts = simulate_paths(JUMPY, 0.0, 1 / 365, 365, 5_000, stream(11, "jumps"),
                               return_jump_counts=True)
    per_path = counts.sum(axis=1)
    expected = 6.0 * 365 * (1 / 365)
    assert abs(per_path.mean() - expected) < 4 * math.sqrt(expected / per_path.size)


def test_a_jump_is_decayed_from_its_arrival_time():
    # sigma = 0 and x0 = theta: the step is exactly the sum of decayed jumps, which lies
    # between the undecayed jump and the jump decayed over the whole step.
    p = JumpDiffusionParams.constant(1.0, kappa=5.0, sigma=0.0, jump_rate=5.0, jump_mean=0.3,
                                     jump_std=0.0)
    dt = 0.2
    x, counts = simulate_paths(p, 0.0, dt, 1, 20_000, stream(5, "decay"), return_jump_counts=True)
    n = counts[:, 0]
    assert np.all(x[:, 1] <= 0.3 * n + 1e-12)
    assert np.all(x[:, 1] >= 0.3 * n * math.exp(-5.0 * dt) - 1e-12)
    single = n == 1
    assert single.any() and np.all(x[single, 1] < 0.3) and np.all(x[single, 1] > 0.3 * math.exp(-1.0))
    # uniform arrival: E[0.3 exp(-kappa (dt - u))] = 0.3 (1 - exp(-kappa dt)) / (kappa dt)
    ones = x[single, 1]
    expected = 0.3 * (1 - math.exp(-1.0)) / 1.0
    assert abs(ones.mean() - expected) < 4 * ones.std() / math.sqrt(ones.size)


def test_same_seed_same_paths_and_different_seed_different_paths():
    a = simulate_paths(JUMPY, 0.5, 0.01, 50, 20, stream(1, "x"))
    b = simulate_paths(JUMPY, 0.5, 0.01, 50, 20, stream(1, "x"))
    c = simulate_paths(JUMPY, 0.5, 0.01, 50, 20, stream(2, "x"))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.all(a[:, 0] == 0.5) and a.shape == (20, 51)


def test_adding_an_agent_does_not_change_another_agents_path():
    alone = spawn_streams(9, ["maker"])
    crowd = spawn_streams(9, ["taker", "hedger", "maker", "arb"])
    f1 = Fundamental(JUMPY, 2.0, alone["maker"])
    f2 = Fundamental(JUMPY, 2.0, crowd["maker"])
    assert [f1.advance(1 / 365) for _ in range(30)] == [f2.advance(1 / 365) for _ in range(30)]


def test_theta_schedule_is_log_linear_and_flat_after_the_last_knot():
    p = JumpDiffusionParams(kappa=1.0, sigma=0.1, jump_rate=0.0, jump_mean=0.0, jump_std=0.0,
                            theta_knots=((0.0, 2.0), (1.0, 8.0)))
    assert p.theta(0.5) == pytest.approx(math.log(4.0))
    assert p.theta(3.0) == pytest.approx(math.log(8.0))


def test_the_stepper_follows_a_moving_theta():
    p = JumpDiffusionParams(kappa=50.0, sigma=0.01, jump_rate=0.0, jump_mean=0.0, jump_std=0.0,
                            theta_knots=((0.0, 2.0), (1.0, 3.0)))
    f = Fundamental(p, 2.0, stream(4, "f"))
    for _ in range(365):
        price = f.advance(1 / 365)
    assert f.t_years == pytest.approx(1.0)
    assert price == pytest.approx(3.0, rel=0.02)


def test_the_stepper_has_the_same_law_as_the_vectorised_paths():
    ends = np.array([Fundamental(JUMPY, 2.0, stream(s, "f")).advance(0.25) for s in range(3_000)])
    x = np.log(ends)
    ref = simulate_paths(JUMPY, math.log(2.0), 0.25, 1, 40_000, stream(0, "ref"))[:, -1]
    se_mean, se_var = _sample_se(x)
    assert abs(x.mean() - ref.mean()) < 4.5 * se_mean
    assert abs(x.var() - ref.var()) < 4.5 * se_var


@pytest.mark.parametrize("bad", [
    {"kappa": 0.0}, {"sigma": -0.1}, {"jump_rate": -1.0}, {"jump_std": -0.1},
    {"kappa": float("nan")}, {"theta_knots": ()}, {"theta_knots": ((0.5, 2.0),)},
    {"theta_knots": ((0.0, 2.0), (0.0, 3.0))}, {"theta_knots": ((0.0, -2.0),)},
])
def test_bad_parameters_are_refused(bad):
    kw = {"kappa": 1.0, "sigma": 0.1, "jump_rate": 1.0, "jump_mean": 0.0, "jump_std": 0.1,
              "theta_knots": ((0.0, 2.0),)}
    kw.update(bad)
    with pytest.raises(ValueError):
        JumpDiffusionParams(**kw)


def test_bad_steps_are_refused_before_any_state_changes():
    f = Fundamental(JUMPY, 2.0, stream(1, "f"))
    for dt in (0.0, -1.0, float("inf")):
        with pytest.raises(ValueError):
            f.advance(dt)
    assert f.price == pytest.approx(2.0) and f.t_years == 0.0


def test_one_path_is_stepped_bit_for_bit_as_the_vectorised_loop_steps_it():
    """A session's single path takes a faster loop on floats: the same two roundings a step,
    so the same path to the last bit (the sessions' digests depend on it)."""
    from marketmakers.fundamental import ExactStep
    from marketmakers.scenarios import load_scenario

    params = load_scenario("demand-explosion").params
    rng = np.random.default_rng(5)
    z = rng.standard_normal((1, 50_000))
    jumps = np.where(rng.random((1, 50_000)) < 0.001, 0.05, 0.0)
    step = ExactStep(params, 1 / 31_536_000, 0.0, 50_000)
    one = step.paths(0.7, z, jumps)
    two = step.paths(0.7, np.vstack([z, z]), np.vstack([jumps, jumps]))  # the general loop
    assert one.shape == (1, 50_001)
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[0], two[1])
