"""The one-consumer queue behind the command queue and each connection's outbox."""

import asyncio

import pytest

from api.mailbox import Mailbox


def test_items_come_out_in_the_order_they_went_in():
    box = Mailbox()
    for i in range(5):
        box.put_nowait(i)
    assert box.qsize() == 5 and not box.empty()
    assert [box.get_nowait() for _ in range(5)] == [0, 1, 2, 3, 4]
    assert box.empty()
    with pytest.raises(asyncio.QueueEmpty):
        box.get_nowait()


def test_a_bounded_box_refuses_what_does_not_fit_and_keeps_what_did():
    box = Mailbox(2)
    box.put_nowait("a")
    box.put_nowait("b")
    with pytest.raises(asyncio.QueueFull):
        box.put_nowait("c")
    assert [box.get_nowait(), box.get_nowait()] == ["a", "b"]


def test_a_waiting_consumer_wakes_for_the_next_item():
    async def scenario():
        box = Mailbox()
        got = asyncio.create_task(box.get())
        await asyncio.sleep(0)
        assert not got.done()
        box.put_nowait("x")
        box.put_nowait("y")
        assert await got == "x"
        assert await asyncio.wait_for(box.get(), 1) == "y"
        late = asyncio.create_task(box.get())  # a timeout while waiting leaves the box usable
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(late), 0.01)
        late.cancel()
        await asyncio.sleep(0)
        box.put_nowait("z")
        assert await box.get() == "z"

    asyncio.run(scenario())


def test_a_second_consumer_is_refused():
    async def scenario():
        box = Mailbox()
        first = asyncio.create_task(box.get())
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError):
            await box.get()
        box.put_nowait(1)
        assert await first == 1

    asyncio.run(scenario())
