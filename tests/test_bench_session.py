"""`sitex bench session`: a short session, its command stream replayed on a bare venue."""

import json

from api import cli


def test_bench_session_prints_the_contracted_keys_and_the_replay_matches(capsys):
    assert cli.main(["bench", "session", "--hours", "0.05", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("events", "commands", "events_per_s", "venue_events_per_s", "ratio",
                "target_events_per_s"):
        assert result[key] > 0
    assert result["events"] > result["commands"]
    assert result["replay_matches"] is True
