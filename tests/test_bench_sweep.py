"""`sitex bench sweep`: 16 tiny cells in this process and on a 2-process LocalCluster."""

import json

import pytest

from api import cli


@pytest.mark.parametrize("argv", [["--hours", "0.02"], ["--kind", "hedge", "--paths", "200"]],
                         ids=["session", "hedge"])
def test_bench_sweep_prints_the_contracted_keys_and_both_runs_agree(capsys, argv):
    assert cli.main(["bench", "sweep", *argv, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["cells"], result["workers"]) == (16, 2)
    for key in ("serial_s", "parallel_s", "speedup", "cluster_start_s"):
        assert result[key] > 0
    assert result["speedup"] == pytest.approx(result["serial_s"] / result["parallel_s"], rel=1e-2)
    assert result["same_results"] is True


@pytest.mark.parametrize("argv", [["--kind", "hedge", "--hours", "1"], ["--paths", "200"],
                                  ["--kind", "session", "--paths", "200"]])
def test_a_size_flag_of_the_other_kind_is_refused_not_ignored(capsys, argv):
    """`--kind hedge --hours 1` used to run 50,000-path studies, the --hours dropped unsaid."""
    assert cli.main(["bench", "sweep", *argv]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert len(out.err.strip().splitlines()) == 1 and "does not size" in out.err
