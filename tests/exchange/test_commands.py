import pytest

from exchange.commands import (COMMAND_TYPES, AmendOrder, ExpireContract, NewOrder,
                               SetTradingState, command_from_record)
from exchange.orders import STP, OrderType, Side, TimeInForce


def test_every_command_tag_is_registered_once():
    assert sorted(COMMAND_TYPES) == sorted([
        "new", "cancel", "amend", "cancel_all", "state", "time", "reference", "list", "expire",
        "open_account", "deposit", "withdraw", "index", "mark", "mm_standing"])
    assert all(cls.tag == tag for tag, cls in COMMAND_TYPES.items())


def test_record_is_flat_with_enums_as_ints():
    c = NewOrder(5, "alice", "SITF27", -1, 3, 2_000, OrderType.STOP_LIMIT, TimeInForce.GTD,
                 stop_price=1_990, expire_at=9, stp=STP.CANCEL_BOTH, client_order_id="x")
    rec = c.to_record()
    assert rec == ("new", 5, "alice", "SITF27", -1, 3, 2_000, 4, 3, 1_990, None, 9, False,
                   False, "x", 3, None)
    assert all(type(v) in (str, int, bool, type(None)) for v in rec)


@pytest.mark.parametrize("cmd", [
    NewOrder(1, "a", "SITF27", 1, 2, 2_000, display_qty=1, post_only=True, stp_group="g"),
    AmendOrder(2, "a", 7, qty=3),
    SetTradingState(3, None, "halted", "operator"),
    ExpireContract(4, "SITF27", 2_010),
])
def test_record_round_trip(cmd):
    back = command_from_record(cmd.to_record())
    assert type(back) is type(cmd) and back == cmd
    assert back.to_record() == cmd.to_record()


def test_a_plain_order_is_recorded_without_its_default_tail():
    plain = NewOrder(1, "a", "SITF27", 1, 2, 2_000, OrderType.LIMIT, TimeInForce.IOC)
    assert plain.to_record() == ("new", 1, "a", "SITF27", 1, 2, 2_000, 1, 4)
    assert command_from_record(plain.to_record()) == plain
    # any option, or a default given as something else than itself, keeps the whole record
    for options in ({"post_only": True}, {"client_order_id": "c"}, {"stp": STP.CANCEL_BOTH},
                    {"stp": 1.0}, {"post_only": 0}, {"stp_group": "g"}, {"expire_at": 5}):
        cmd = NewOrder(1, "a", "SITF27", 1, 2, 2_000, **options)
        rec = cmd.to_record()
        assert len(rec) == 17, options
        back = command_from_record(rec)
        assert back == cmd and back.to_record() == rec


def test_new_order_defaults():
    c = NewOrder(1, "a", "SITF27", 1, 2, 2_000)
    assert (c.type, c.tif, c.stp, c.stp_group, c.post_only) == (
        OrderType.LIMIT, TimeInForce.GTC, STP.CANCEL_NEWEST, None, False)


def test_a_record_keeps_a_malformed_enum_field_as_it_came():
    """The venue rejects `side="buy"`; the journal must hold the same value so a replay meets
    the same rejection (int() would have failed or, for "1", turned it into a valid side)."""
    for junk in ("buy", "1", None, 1.5, 1.0, True):
        rec = NewOrder(1, "a", "SITF27", junk, 2, 2_000).to_record()
        assert rec[4] == junk and type(rec[4]) is type(junk)
        assert command_from_record(rec).to_record() == rec


def test_a_record_refuses_what_the_journal_could_not_store():
    with pytest.raises(TypeError, match="side must be an integer"):
        NewOrder(1, "a", "SITF27", object(), 2, 2_000).to_record()


def test_enum_fields_are_recorded_as_plain_ints():
    rec = NewOrder(1, "a", "SITF27", Side.BUY, 2, 2_000, OrderType.MARKET, TimeInForce.IOC,
                   stp=STP.DECREMENT_AND_CANCEL).to_record()
    assert [(v, type(v)) for v in (rec[4], rec[7], rec[8], rec[15])] == [
        (1, int), (2, int), (4, int), (4, int)]
