"""The WebSocket's JSON writer: orjson's speed, the standard library's meaning."""

import json

from hypothesis import given
from hypothesis import strategies as st

from api import fastjson

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12)


@given(_values)
def test_what_it_writes_reads_back_as_what_was_written(value):
    assert json.loads(fastjson.dumps(value)) == value


def test_integers_wider_than_64_bits_are_written_exactly():
    big = {"qty": 10**30, "neg": -(2**70), "id": 2**64}
    assert json.loads(fastjson.dumps(big)) == big


def test_integer_keys_are_written_as_strings():
    assert json.loads(fastjson.dumps({1: "a"})) == {"1": "a"}
