"""The double-entry ledger: balances sum to zero, money enters and leaves only via EXTERNAL."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearing.ledger import CCP_CAPITAL, CCP_SKIN, EXTERNAL, FEES, Ledger, cash_key, fund_key


def test_keys_name_the_owner():
    assert cash_key("alice") == "m:alice"
    assert fund_key("alice") == "g:alice"
    assert cash_key("alice") != fund_key("alice")


def test_new_ledger_holds_the_house_accounts_at_zero():
    ledger = Ledger()
    for key in (EXTERNAL, CCP_SKIN, CCP_CAPITAL, FEES):
        assert ledger.balance(key) == 0
    assert ledger.held() == 0
    ledger.check()


def test_open_is_idempotent_and_keeps_the_balance():
    ledger = Ledger()
    ledger.open("m:a")
    ledger.transfer(EXTERNAL, "m:a", 500)
    ledger.open("m:a")
    assert ledger.balance("m:a") == 500


def test_unknown_key_raises():
    ledger = Ledger()
    with pytest.raises(KeyError):
        ledger.balance("m:nobody")
    with pytest.raises(KeyError):
        ledger.transfer(EXTERNAL, "m:nobody", 1)


def test_deposit_internal_move_and_withdrawal():
    ledger = Ledger()
    ledger.open("m:a")
    ledger.transfer(EXTERNAL, "m:a", 1_000)
    ledger.transfer("m:a", FEES, 30)
    ledger.transfer("m:a", EXTERNAL, 200)
    assert ledger.balance("m:a") == 770
    assert ledger.balance(FEES) == 30
    assert ledger.balance(EXTERNAL) == -800
    assert (ledger.inflow, ledger.outflow) == (1_000, 200)
    assert ledger.held() == 800
    ledger.check()


def test_internal_moves_do_not_count_as_flows():
    ledger = Ledger()
    ledger.open("m:a")
    ledger.open("g:a")
    ledger.transfer("m:a", "g:a", 100)  # members may go negative: the ledger does not judge
    assert (ledger.inflow, ledger.outflow, ledger.held()) == (0, 0, 0)
    assert ledger.balance("m:a") == -100
    ledger.check()


def test_check_catches_a_balance_edited_behind_its_back():
    ledger = Ledger()
    ledger.open("m:a")
    ledger.transfer(EXTERNAL, "m:a", 10)
    ledger.balances["m:a"] += 1
    with pytest.raises(AssertionError, match="does not balance"):
        ledger.check()


def test_check_catches_unrecorded_inflow():
    ledger = Ledger()
    ledger.open("m:a")
    ledger.balances["m:a"] += 5
    ledger.balances[EXTERNAL] -= 5  # balances, but the inflow was never recorded
    with pytest.raises(AssertionError, match="conserved"):
        ledger.check()


def test_check_rejects_non_integer_balances():
    ledger = Ledger()
    ledger.open("m:a")
    ledger.transfer(EXTERNAL, "m:a", 1.5)
    with pytest.raises(AssertionError, match="integer"):
        ledger.check()


KEYS = [EXTERNAL, CCP_SKIN, CCP_CAPITAL, FEES, "m:a", "m:b", "g:a"]


@given(st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(KEYS),
                          st.integers(-10**12, 10**12)), max_size=60))
def test_any_sequence_of_transfers_balances_and_conserves(moves):
    ledger = Ledger()
    for key in KEYS:
        ledger.open(key)
    for source, target, amount in moves:
        ledger.transfer(source, target, amount)
    ledger.check()
    expected = {key: 0 for key in KEYS}
    for source, target, amount in moves:
        expected[source] -= amount
        expected[target] += amount
    assert ledger.balances == expected
    assert ledger.held() == sum(v for k, v in expected.items() if k != EXTERNAL)


def test_a_move_to_itself_changes_nothing_even_external():
    ledger = Ledger()
    ledger.transfer(EXTERNAL, EXTERNAL, 100)
    assert (ledger.inflow, ledger.outflow, ledger.held()) == (0, 0, 0)
    ledger.check()
