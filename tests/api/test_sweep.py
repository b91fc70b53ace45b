"""`sitex sweep`: cells that are exactly `sitex hedge` and `sitex simulate`, results written as
cells complete, --resume, failing cells, and a real LocalCluster of two worker processes (one
of them killed mid-sweep) giving the same rows as the in-process reference."""

import csv
import json
import os
import signal
import sys

import pyarrow.parquet as pq
import pytest

from api import cli
from api.sweep.grid import load_grid
from api.sweep.results import ResultsWriter
from api.sweep.runners import DaskRunner, InProcessRunner, SchedulerError, timed
from api.sweep.sweep import run_sweep
from marketmakers.agents.config import DEFAULT_FILE
from marketmakers.hedging import PROGRAMMES

HEDGE_GRID = """kind = "hedge"
seeds = [1, 2]
[base]
paths = 400
in_sample_paths = 400
[grid]
volume_noise = [0.0, 0.2]
basis_vol = [0.0, 0.05]
"""
SESSION_GRID = """kind = "session"
seeds = [4, 5]
figures = ["mean_spread_ticks", "realised_vol"]
[base]
hours = 0.1
[grid]
start = ["2027-01-04T16:00:00+00:00", "2300-01-04T16:00:00+00:00"]
"""  # a session in 2300 is past the nanosecond clock's range: those cells raise when they run
NOT_FIGURES = ("wall_s", "worker")


def write(tmp_path, text, name="grid.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def rows(out, keys=("volume_noise", "basis_vol", "seed")):
    """The rows of results.parquet without wall time and worker, in the grid's order."""
    table = pq.read_table(out / "results.parquet").drop_columns(list(NOT_FIGURES))
    return sorted(table.to_pylist(), key=lambda r: tuple(r[k] for k in keys))


def sweep(argv, capsys):
    code = cli.main(["sweep", *argv, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The hedge grid run one cell after the other in this process (`--scheduler none`)."""
    tmp = tmp_path_factory.mktemp("reference")
    grid = write(tmp, HEDGE_GRID)
    assert cli.main(["sweep", str(grid), "--scheduler", "none", "--out", str(tmp / "out")]) == 0
    return tmp / "out"


def test_the_results_have_a_column_per_key_the_seed_every_figure_wall_time_and_worker(reference):
    table = pq.read_table(reference / "results.parquet")
    figures = [n for n in table.column_names if "." in n]
    assert table.column_names == ["volume_noise", "basis_vol", "seed", *figures, *NOT_FIGURES]
    assert {n.split(".")[0] for n in figures} == set(PROGRAMMES)
    for name in ("static.std_reduction", "static.std_reduction_se", "layered.cvar95_reduction",
                 "min_variance.hedge_ratio", "none.vm_outflow_p99", "static.mean_cost_change"):
        assert name in figures
    assert table.num_rows == 8
    assert set(table.column("worker").to_pylist()) == {"in-process"}
    assert min(table.column("wall_s").to_pylist()) > 0
    with (reference / "results.csv").open() as f:
        from_csv = list(csv.DictReader(f))
    assert list(from_csv[0]) == table.column_names
    for row, parquet_row in zip(from_csv, table.to_pylist()):  # the same rows in the same order
        assert float(row["static.std_reduction"]) == parquet_row["static.std_reduction"]
        assert int(row["seed"]) == parquet_row["seed"]


def test_a_hedge_cell_is_what_sitex_hedge_prints(reference, capsys):
    assert cli.main(["hedge", "--paths", "400", "--set", "in_sample_paths=400", "--set",
                     "volume_noise=0.2", "--set", "basis_vol=0.05", "--seed", "2", "--json",
                     "--no-progress"]) == 0
    printed = json.loads(capsys.readouterr().out)["programmes"]
    row = next(r for r in rows(reference) if (r["volume_noise"], r["basis_vol"], r["seed"]) == (0.2, 0.05, 2))
    assert {f"{p}.{f}": v for p, figures in printed.items() for f, v in figures.items()} == \
        {k: v for k, v in row.items() if "." in k}


def test_the_summary_is_the_mean_and_spread_over_the_seeds_with_a_heatmap_per_figure(tmp_path, capsys):
    out = tmp_path / "out"
    code, result, _ = sweep([str(write(tmp_path, HEDGE_GRID)), "--scheduler", "none", "--out", str(out)], capsys)
    assert code == 0 and (result["cells"], result["ran"], result["resumed"]) == (8, 8, 0)
    assert result["failed"] == []
    assert len(result["summary"]) == 4
    point = result["summary"][3]
    assert (point["volume_noise"], point["basis_vol"]) == (0.2, 0.05)
    seeds = [r["static.std_reduction"] for r in rows(out) if (r["volume_noise"], r["basis_vol"]) == (0.2, 0.05)]
    stat = point["static.std_reduction"]
    assert stat["n"] == 2 and stat["mean"] == pytest.approx(sum(seeds) / 2, rel=1e-12)
    assert stat["sd"] == pytest.approx(abs(seeds[0] - seeds[1]) / 2 ** 0.5, rel=1e-9)
    for figure in result["figures"]:
        assert f"{figure}.png" in result["files"]
        assert (out / f"{figure}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code = cli.main(["sweep", str(write(tmp_path, HEDGE_GRID)), "--scheduler", "none", "--out",
                     str(tmp_path / "text")])
    printed = capsys.readouterr().out
    assert code == 0 and "mean ± sd over the seeds [1, 2]" in printed and "static.std_reduction" in printed


def test_a_one_key_grid_draws_lines(tmp_path, capsys):
    grid = write(tmp_path, 'kind = "hedge"\nfigures = ["static.std_reduction"]\n[base]\npaths = 200\n'
                           "in_sample_paths = 200\n[grid]\nbasis_vol = [0.0, 0.1, 0.2]\n")
    code, result, _ = sweep([str(grid), "--scheduler", "none", "--out", str(tmp_path / "out")], capsys)
    assert code == 0 and "static.std_reduction.png" in result["files"]
    # more basis risk, less of the bill hedged
    means = [p["static.std_reduction"]["mean"] for p in result["summary"]]
    assert means == sorted(means, reverse=True)
    assert all(p["static.std_reduction"]["sd"] is None for p in result["summary"])  # one seed


def test_a_session_cell_is_what_sitex_simulate_computes_with_the_makers_counted(tmp_path, capsys):
    grid = write(tmp_path, 'kind = "session"\nseeds = [3]\n[base]\nhours = 0.1\n'
                           "[grid]\nmarket_maker_count = [2]\n")
    code, result, _ = sweep([str(grid), "--scheduler", "none", "--out", str(tmp_path / "out")], capsys)
    assert code == 0 and result["ran"] == 1
    [row] = rows(tmp_path / "out", keys=("seed",))
    # the default population with 2 makers: its 3 + 2 makers' groups shrunk in proportion to 1 + 1
    text = DEFAULT_FILE.read_text()
    for old, new in (('count = 3\nmodel = "as"', 'count = 1\nmodel = "as"'),
                     ('count = 2\nmodel = "glft"', 'count = 1\nmodel = "glft"')):
        assert old in text
        text = text.replace(old, new)
    agents = write(tmp_path, text, "two-makers.toml")
    assert cli.main(["simulate", "--hours", "0.1", "--seed", "3", "--agents", str(agents),
                     "--out", str(tmp_path / "session"), "--json", "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert row["digest"] == summary["digest"]
    assert (row["trades"], row["volume"], row["market_makers"]) == (summary["trades"], summary["volume"], 2)
    assert row["excess_kurtosis"] == summary["stylized_facts"]["excess_kurtosis"]
    assert row["obligations_met_share"] == sum(summary["mm_obligations_met"].values()) / 2


def test_a_cell_that_raises_is_reported_with_its_settings_and_the_others_complete(tmp_path, capsys):
    out = tmp_path / "out"
    code, result, err = sweep([str(write(tmp_path, SESSION_GRID)), "--scheduler", "none", "--out", str(out)], capsys)
    assert code == 1
    assert result["ran"] == 2 and len(result["failed"]) == 2
    failure = result["failed"][0]
    assert failure["settings"] == {"start": "2300-01-04T16:00:00+00:00"} and failure["seed"] == 4
    assert failure["error"].startswith("OverflowError")
    assert "the cell start='2300-01-04T16:00:00+00:00', seed=4 failed: OverflowError" in err
    assert [r["start"] for r in rows(out, keys=("seed",))] == ["2027-01-04T16:00:00+00:00"] * 2


def test_a_local_cluster_of_two_worker_processes_gives_the_in_process_results(tmp_path, capsys):
    """Sessions are the strictest check: their digests hash every event of the day."""
    grid = str(write(tmp_path, SESSION_GRID))
    none_code, none, _ = sweep([grid, "--scheduler", "none", "--out", str(tmp_path / "none")], capsys)
    code, local, _ = sweep([grid, "--scheduler", "local", "--workers", "2", "--out", str(tmp_path / "local")], capsys)
    assert local["runner"].startswith("local (2 worker processes; dashboard http")
    assert (code, none_code) == (1, 1)  # the sessions in 2300 fail on both, and only them
    assert sorted((f["seed"], f["settings"]["start"]) for f in local["failed"]) == \
        sorted((f["seed"], f["settings"]["start"]) for f in none["failed"])
    assert rows(tmp_path / "local", keys=("seed",)) == rows(tmp_path / "none", keys=("seed",))
    workers = set(pq.read_table(tmp_path / "local" / "results.parquet").column("worker").to_pylist())
    assert all(w.startswith("tcp://") for w in workers)
    assert local["summary"] == none["summary"]


@pytest.mark.skipif(not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
                    reason="pinning is Linux's sched_setaffinity, on at least two cores")
def test_local_workers_each_own_a_core_and_a_restarted_worker_is_pinned_again():
    runner = DaskRunner.local(2, dashboard_address=":0")
    try:
        assert runner.description.endswith("; one core each)")
        cores = runner.client.run(lambda: sorted(os.sched_getaffinity(0)))
        assert sorted(map(tuple, cores.values())) == [(c,) for c in sorted(os.sched_getaffinity(0))[:2]]
        runner.client.restart()  # the nannies start new worker processes
        again = runner.client.run(lambda: sorted(os.sched_getaffinity(0)))
        assert sorted(map(tuple, again.values())) == sorted(map(tuple, cores.values()))
    finally:
        runner.close()


def test_a_worker_killed_mid_sweep_loses_nothing(reference, tmp_path):
    grid, cells = load_grid(write(tmp_path, HEDGE_GRID))
    writer = ResultsWriter(tmp_path / "out", grid, resume=False)
    runner = DaskRunner.local(2, dashboard_address=":0")
    killed = {}

    def kill_a_busy_worker(outcome):
        if killed:
            return
        busy = {addr: keys for addr, keys in runner.client.processing().items() if keys}
        address = next(iter(busy))
        pid = runner.client.run(os.getpid, workers=[address])[address]
        os.kill(pid, signal.SIGKILL)
        killed.update(address=address, running=busy[address])

    try:
        report = run_sweep(grid, cells, runner, writer, on_outcome=kill_a_busy_worker)
    finally:
        writer.close()
        runner.close()
    assert killed["running"]  # the worker died with a cell on it
    assert report.failed == [] and report.ran == len(cells) == 8
    assert rows(tmp_path / "out") == rows(reference)


def test_resume_runs_only_the_cells_not_yet_in_out(reference, tmp_path, capsys):
    out = str(tmp_path / "out")
    one_seed = write(tmp_path, HEDGE_GRID.replace("seeds = [1, 2]", "seeds = [2]"), "one-seed.toml")
    code, first, _ = sweep([str(one_seed), "--scheduler", "none", "--out", out], capsys)
    assert code == 0 and first["ran"] == 4
    code, second, _ = sweep([str(write(tmp_path, HEDGE_GRID)), "--scheduler", "none", "--out", out,
                             "--resume"], capsys)
    assert code == 0 and (second["cells"], second["resumed"], second["ran"]) == (8, 4, 4)
    assert rows(tmp_path / "out") == rows(reference)
    with open(tmp_path / "out" / "results.csv") as f:
        assert len(f.readlines()) == 1 + 8
    code, third, _ = sweep([str(write(tmp_path, HEDGE_GRID)), "--scheduler", "none", "--out", out,
                            "--resume"], capsys)
    assert code == 0 and (third["resumed"], third["ran"]) == (8, 0)
    assert rows(tmp_path / "out") == rows(reference)


def test_an_interrupted_sweep_keeps_its_rows_and_resume_completes_it(reference, tmp_path, capsys):
    grid, cells = load_grid(write(tmp_path, HEDGE_GRID))
    writer = ResultsWriter(tmp_path / "out", grid, resume=False)

    seen = []

    def interrupt_after_three(outcome):
        seen.append(outcome)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        try:
            run_sweep(grid, cells, InProcessRunner(), writer, on_outcome=interrupt_after_three)
        finally:
            writer.close()
    assert pq.read_table(tmp_path / "out" / "results.parquet").num_rows == 3
    # a crash half-way through writing the fourth row, and the Parquet file lost with it
    with open(tmp_path / "out" / "results.csv", "a") as f:
        f.write("0.2,0.05,1,1234.5")
    (tmp_path / "out" / "results.parquet").unlink()
    code, result, _ = sweep([str(tmp_path / "grid.toml"), "--scheduler", "none", "--out",
                             str(tmp_path / "out"), "--resume"], capsys)
    assert code == 0 and (result["resumed"], result["ran"]) == (3, 5)
    assert rows(tmp_path / "out") == rows(reference)


@pytest.mark.parametrize(("setup", "argv", "words"), [
    (None, ["--resume"], ["--resume", "holds no sweep", "sweep.json"]),
    (HEDGE_GRID, [], ["already holds a sweep", "--resume"]),
    (HEDGE_GRID.replace("paths = 400\n", "paths = 500\n"), ["--resume"], ["[base] settings differ"]),
    (HEDGE_GRID.replace("basis_vol = [0.0, 0.05]\n", ""), ["--resume"], ["grid keys differ"]),
])
def test_an_out_folder_that_cannot_take_this_sweep_is_refused(tmp_path, capsys, setup, argv, words):
    out = tmp_path / "out"
    if setup is not None:
        assert cli.main(["sweep", str(write(tmp_path, setup, "before.toml")), "--scheduler", "none",
                         "--out", str(out), "--json"]) == 0
        capsys.readouterr()
    before = sorted(p.name for p in out.iterdir()) if out.exists() else None
    code = cli.main(["sweep", str(write(tmp_path, HEDGE_GRID)), "--scheduler", "none", "--out",
                     str(out), *argv])
    err = capsys.readouterr().err
    assert code == 2
    for word in words:
        assert word in err
    assert (sorted(p.name for p in out.iterdir()) if out.exists() else None) == before


def test_an_out_that_is_a_file_is_refused(tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    code = cli.main(["sweep", str(write(tmp_path, HEDGE_GRID)), "--scheduler", "none", "--out",
                     str(a_file)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"--out {a_file} is a file, not a directory" in err and "Traceback" not in err
    assert a_file.read_text() == ""


@pytest.mark.parametrize(("argv", "words"), [
    (["--scheduler", "none", "--workers", "2"], ["--workers is for a Dask scheduler"]),
    (["--workers", "0"], ["--workers must be at least 1"]),
])
def test_bad_options_are_refused(tmp_path, capsys, argv, words):
    code = cli.main(["sweep", str(write(tmp_path, HEDGE_GRID)), "--out", str(tmp_path / "out"), *argv])
    assert code == 2
    err = capsys.readouterr().err
    for word in words:
        assert word in err
    assert not (tmp_path / "out").exists()


def test_a_scheduler_that_does_not_answer_is_reported_and_leaves_nothing(tmp_path, capsys):
    with pytest.raises(SchedulerError, match="no Dask scheduler answered at tcp://127.0.0.1:1 within 1 s"):
        DaskRunner.connect("tcp://127.0.0.1:1", timeout_s=1)
    grid, _ = load_grid(write(tmp_path, HEDGE_GRID))
    writer = ResultsWriter(tmp_path / "out", grid, resume=False)  # checked, nothing written yet
    writer.close()
    assert not (tmp_path / "out").exists()


def test_a_cell_runs_on_one_blas_thread_wherever_it_runs():
    """A multi-threaded BLAS sums by thread: a cell's figures differed in the last bit between
    this process and a Dask worker (which has one) until every cell ran on one."""
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads(_task):
        return {"threads": [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]}

    with threadpool_limits(limits=2, user_api="blas"):
        figures, wall_s = timed(blas_threads, None)
    assert figures["threads"] and set(figures["threads"]) == {1}
    assert wall_s >= 0
