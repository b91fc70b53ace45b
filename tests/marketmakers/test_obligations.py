"""Market-maker obligations: compliance rules and presence over time."""

import pytest

from marketmakers.obligations import Obligation, ObligationTracker

SEC = 1_000_000_000


def test_compliance_rule():
    ob = Obligation(max_spread_ticks=10, min_size=5)
    assert ob.compliant(1_995, 5, 2_005, 5)
    assert not ob.compliant(1_995, 5, 2_006, 5)  # too wide
    assert not ob.compliant(1_995, 4, 2_005, 5)  # too small
    assert not ob.compliant(None, 0, 2_005, 5)  # one-sided


def test_presence_over_the_session_and_the_verdict():
    t = ObligationTracker("mm1", Obligation(10, 5, 0.8), start_ts=0)
    t.update(0, 1_995, 5, 2_005, 5)  # compliant from 0 ...
    t.update(70 * SEC, 1_990, 5, 2_010, 5)  # ... too wide from 70 s ...
    t.update(80 * SEC, 1_995, 9, 2_004, 9)  # ... compliant again from 80 s
    report = t.close(100 * SEC)
    assert report.compliant_ns == 90 * SEC and report.presence == pytest.approx(0.9) and report.met
    strict = ObligationTracker("mm2", Obligation(10, 5, 0.95), 0)
    strict.update(0, 1_995, 5, 2_005, 5)
    strict.update(70 * SEC, None, 0, None, 0)
    assert not strict.close(100 * SEC).met


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        Obligation(max_spread_ticks=0)
    t = ObligationTracker("mm", Obligation(), 10)
    with pytest.raises(ValueError):
        t.update(5, 1, 1, 2, 1)
