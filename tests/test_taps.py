"""A recorder's connection shared inside a process: packets in order from a keyframe on, a
slow reader resumes at the next keyframe, the publisher never waits."""

from __future__ import annotations

import threading
from fractions import Fraction

import pytest

from custos.taps import BACKLOG, PacketTaps, StreamInfo, Tap

INFO = StreamInfo("h264", None, 640, 360, Fraction(1, 90_000))


def _publish(tap: Tap, first: int, count: int, every: int = 10) -> None:
    """Packets numbered from `first`, a keyframe every `every` numbers."""
    for number in range(first, first + count):
        tap.publish(number.to_bytes(4, "big"), number, number % every == 0)


def _numbers(packets: list[bytes]) -> list[int]:
    return [int.from_bytes(data, "big") for data in packets]


def test_a_subscriber_reads_from_the_first_keyframe_until_the_tap_closes() -> None:
    tap = PacketTaps().open("hall", INFO)
    assert not tap.watched
    _publish(tap, 1, 5)  # nobody reads: nothing kept
    subscription = tap.subscribe()
    assert tap.watched
    _publish(tap, 6, 20)  # 6..25: the first keyframe is 10
    tap.close()
    read = [packet.data for packet in subscription.packets(threading.Event())]
    assert _numbers(read) == list(range(10, 26))
    assert subscription.skipped == 4  # 6, 7, 8, 9
    assert not tap.watched


def test_a_reader_that_falls_behind_loses_its_backlog_and_resumes_at_a_keyframe() -> None:
    tap = PacketTaps().open("hall", INFO)
    subscription = tap.subscribe()
    _publish(tap, 0, BACKLOG + 5)  # one more than the backlog holds overflows at BACKLOG
    _publish(tap, BACKLOG + 5, 30)
    tap.close()
    numbers = _numbers([p.data for p in subscription.packets(threading.Event())])
    resumed = numbers[0]
    assert resumed % 10 == 0
    assert resumed > BACKLOG
    assert numbers == list(range(resumed, BACKLOG + 35))


def test_a_new_connection_replaces_the_old_tap_and_closing_an_old_one_keeps_the_new() -> None:
    taps = PacketTaps()
    old = taps.open("hall", INFO)
    reader = old.subscribe()
    new = taps.open("hall", INFO)
    assert old.closed
    assert list(reader.packets(threading.Event())) == []
    taps.close("hall", old)
    assert taps.get("hall") is new
    taps.close("hall", new)
    assert taps.get("hall") is None
    late = new.subscribe()  # subscribing to a closed tap ends at once
    assert list(late.packets(threading.Event())) == []


def test_a_subscriber_is_told_when_no_packet_comes() -> None:
    tap = PacketTaps().open("hall", INFO)
    with tap.subscribe() as subscription, pytest.raises(TimeoutError):
        list(subscription.packets(threading.Event(), wait_s=0.5))
    assert not tap.watched  # leaving the block unsubscribes
