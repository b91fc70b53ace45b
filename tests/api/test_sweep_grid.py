"""The grid file of `sitex sweep`: its cells, and every refusal naming the key and the reason
before anything runs."""

import pytest

from api import cli
from api.sweep.grid import GridError, load_grid, parse_grid
from marketmakers.hedging import settings_for


def test_every_combination_times_every_seed_is_a_cell_in_the_grids_order(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text('kind = "hedge"\nseeds = [7, 3]\n[base]\nscenario = "baseline"\npaths = 100\n'
                    "[grid]\nvolume_noise = [0, 0.1]\nbasis_vol = [0.0, 0.05, 0.1]\n")
    grid, cells = load_grid(path)
    assert len(cells) == 2 * 3 * 2
    assert [c.identity() for c in cells[:4]] == [(0.0, 0.0, 7), (0.0, 0.0, 3), (0.0, 0.05, 7),
                                                 (0.0, 0.05, 3)]
    assert grid.values["volume_noise"] == (0.0, 0.1)  # an integer 0 is the float setting 0.0
    assert grid.base == {"scenario": "baseline", "paths": 100}
    # a cell's task is exactly the settings `sitex hedge --scenario baseline --paths 100
    # --set volume_noise=0.1 --set basis_vol=0.05 --seed 3` runs
    assert cells[-3].task == settings_for("baseline", {"paths": 100, "volume_noise": 0.1,
                                                       "basis_vol": 0.05}, seed=3)
    assert cells[-3].describe() == "volume_noise=0.1, basis_vol=0.05, seed=3"


def test_a_grid_without_a_grid_table_is_one_cell_per_seed():
    grid = parse_grid({"kind": "session", "seeds": [1, 2], "base": {"hours": 0.5}})
    cells = grid.cells()
    assert [c.identity() for c in cells] == [(1,), (2,)]
    assert cells[0].task.hours == 0.5 and cells[1].task.seed == 2


def test_population_counts_are_keys_of_session_cells(tmp_path):
    agents = tmp_path / "agents.toml"
    agents.write_text('[[group]]\nkind = "market_maker"\ncount = 1\n[[group]]\nkind = "noise"\ncount = 4\n')
    grid = parse_grid({"kind": "session", "base": {"agents": "agents.toml"},
                       "grid": {"market_maker_count": [0, 3], "noise_count": [10]}},
                      tmp_path / "grid.toml")
    config = grid.cells()[1].task.agents
    assert (config.count("market_maker"), config.count("noise")) == (3, 10)
    assert grid.base == {"agents": "agents.toml"}  # relative to the grid file, kept as written


def test_the_default_figures_and_chosen_ones():
    assert parse_grid({"kind": "hedge"}).figures[0] == "static.std_reduction"
    grid = parse_grid({"kind": "session", "figures": ["realised_vol", "mean_spread_ticks"]})
    assert grid.figures == ("realised_vol", "mean_spread_ticks")


REFUSALS = [
    # (grid file text, words the message must hold)
    ('kind = "hedge"\nsedes = [1]\n', ["unknown key 'sedes'"]),
    ("seeds = [1]\n", ["kind is missing"]),
    ('kind = "options"\n', ["kind must be", "'options'"]),
    ('kind = "hedge"\nseeds = []\n', ["seeds must be a non-empty list"]),
    ('kind = "hedge"\nseeds = [1, -2]\n', ["seeds must be", "-2"]),
    ('kind = "hedge"\nseeds = [1.5]\n', ["seeds must be", "1.5"]),
    ('kind = "hedge"\nseeds = [1, 1]\n', ["seeds must be distinct"]),
    ('kind = "hedge"\nseeds = 3\n', ["seeds must be a non-empty list"]),
    ('kind = "hedge"\nbase = 3\n', ["base must be a table"]),
    ('kind = "hedge"\ngrid = [1]\n', ["grid must be a table"]),
    ('kind = "hedge"\n[base]\nseed = 3\n', ["[base] seed", "seeds"]),
    ('kind = "hedge"\n[grid]\nseed = [3]\n', ["[grid] seed", "seeds"]),
    ('kind = "hedge"\n[grid]\nworker = ["a"]\n', ["[grid] worker", "reserved"]),
    ('kind = "hedge"\n[base]\nvolume_nois = 0.1\n', ["[base] unknown key 'volume_nois'", "volume_noise"]),
    ('kind = "hedge"\n[grid]\nhours = [1]\n', ["[grid] unknown key 'hours' for hedge cells"]),
    ('kind = "session"\n[grid]\nvolume_noise = [0.1]\n', ["unknown key 'volume_noise' for session cells"]),
    ('kind = "hedge"\n[base]\nvolume_noise = 0.1\n[grid]\nvolume_noise = [0.2]\n',
     ["'volume_noise' is in both [base] and [grid]"]),
    ('kind = "hedge"\n[base]\npaths = 1\n', ["[base]", "paths must be an integer >= 2, got 1"]),
    ('kind = "hedge"\n[base]\nscenario = "moon"\n', ["[base]", "unknown scenario 'moon'"]),
    ('kind = "hedge"\n[grid]\nvolume_noise = []\n', ["[grid] volume_noise must be a non-empty list"]),
    ('kind = "hedge"\n[grid]\nvolume_noise = 0.1\n', ["[grid] volume_noise must be a non-empty list"]),
    ('kind = "hedge"\n[grid]\nvolume_noise = [0.1, 3.0]\n',
     ["[grid] volume_noise = 3.0", "must be a standard deviation in [0, 2]"]),
    ('kind = "hedge"\n[grid]\nvolume_noise = [0.1, "high"]\n', ["[grid] volume_noise = 'high'"]),
    ('kind = "hedge"\n[grid]\nvolume_noise = [[0.1]]\n', ["[grid] volume_noise", "a number or a string"]),
    ('kind = "hedge"\n[grid]\nvolume_noise = [0, 0.0]\n', ["[grid] volume_noise", "0.0 is given twice"]),
    ('kind = "hedge"\n[grid]\nlayers = [2, 2.5]\n', ["[grid] layers = 2.5", "an integer from 1 to 60"]),
    ('kind = "session"\n[grid]\nscenario = ["baseline", "gpu-baseline"]\n',
     ["[grid] scenario = 'gpu-baseline'", "scenario must be one of"]),
    ('kind = "session"\n[base]\nhours = 0\n', ["[base]", "hours must be", "> 0"]),
    ('kind = "session"\n[base]\nhours = "1h"\n', ["[base]", "hours must be", "'1h'"]),
    ('kind = "session"\n[base]\nstart = "yesterday"\n', ["[base]", "start must be an ISO 8601"]),
    ('kind = "session"\n[base]\nagents = "missing.toml"\n', ["[base]", "agents:", "missing.toml"]),
    ('kind = "session"\n[grid]\nmarket_maker_count = [2, -1]\n',
     ["[grid] market_maker_count = -1", "an integer >= 0"]),
    ('kind = "session"\n[grid]\nmarket_maker_count = [2.5]\n',
     ["[grid] market_maker_count = 2.5", "an integer >= 0"]),
    ('kind = "hedge"\nfigures = ["static.std_reduction", "static.magic"]\n',
     ["figures: unknown figure 'static.magic' for hedge cells"]),
    ('kind = "session"\nfigures = ["digest"]\n', ["unknown figure 'digest'"]),
    ('kind = "session"\nfigures = []\n', ["figures must be a non-empty list"]),
    ('kind = "hedge"\n[grid\n', ["not valid TOML"]),
]


@pytest.mark.parametrize(("text", "words"), REFUSALS, ids=[w[0] for _, w in REFUSALS])
def test_a_bad_grid_file_is_refused_naming_the_key(tmp_path, text, words):
    path = tmp_path / "grid.toml"
    path.write_text(text)
    with pytest.raises(GridError) as e:
        load_grid(path)
    message = str(e.value)
    assert message.startswith(str(path))
    for word in words:
        assert word in message


def test_a_population_without_the_kind_a_count_sizes_is_refused(tmp_path):
    (tmp_path / "agents.toml").write_text('[[group]]\nkind = "noise"\ncount = 4\n')
    path = tmp_path / "grid.toml"
    path.write_text('kind = "session"\n[base]\nagents = "agents.toml"\n[grid]\nhedger_count = [1, 2]\n')
    with pytest.raises(GridError, match=r"\[grid\] hedger_count = 1: hedger_count: .*no group of kind 'hedger'"):
        load_grid(path)


def test_a_missing_grid_file_is_refused(tmp_path):
    with pytest.raises(GridError, match="cannot read the grid file"):
        load_grid(tmp_path / "nowhere.toml")


def test_the_command_refuses_a_bad_grid_with_exit_2_and_runs_nothing(tmp_path, capsys):
    path = tmp_path / "grid.toml"
    path.write_text('kind = "hedge"\n[grid]\nvolume_noise = [0.1, 9]\n')
    out = tmp_path / "out"
    assert cli.main(["sweep", str(path), "--scheduler", "none", "--out", str(out)]) == 2
    assert "volume_noise = 9" in capsys.readouterr().err
    assert not out.exists()
