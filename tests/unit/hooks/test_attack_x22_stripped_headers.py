"""Attack x22 (#22): a proxy that strips the rate-limit headers from a random part of the answers (from some
routes only, interleaved as a sync's lookups and writes are). OPEN DEFECT, not fixed in this round: this test
is a strict xfail, to flip when it is (see /work/notes/x22.md, "Defect 2").

A success without the headers switches a task pacing on them to the headerless mode at once, and the mode
counts from what it knows (nothing, or a count from an older window): the task spends unpaced to a 429 at
each switch. Over 8 seeds (limit 100 per 10 s, share 0.9, 16 callers, full windows after the second):
headers on 50 % of answers: 6.2 % 429s, 18/56 windows over 102 % of the share (the whole limit); on 90 %:
2.5 % 429s, 24/56 windows over; on 97 %: 5/56 windows over (107-109 %).

The invariant, driven through the pacer's public methods with a fake clock: with the headers on a random
80-97 % of the answers, no more than one full window after the task's second takes more than 102 % of its
share, and 429s stay within 1 % of the calls in those windows.
"""

from __future__ import annotations

import random

import pytest

from unit.hooks.x22_driver import LIMIT, SHARE, run

FIXED = (0.1, 0.1)


def _check(fraction: float, seed: int) -> None:
    draws = random.Random(seed + 1)
    windows, calls, refused = run(seed, 3.3, FIXED, FIXED, with_headers=lambda: draws.random() < fraction)
    over = [cost for cost in windows[3:] if cost > 1.02 * SHARE * LIMIT]
    assert len(over) <= 1, windows
    assert sum(refused[3:]) <= 0.01 * sum(calls[3:]), (refused, calls, windows)


@pytest.mark.xfail(
    strict=True, reason="open (x22 defect 2): each switch to the headerless mode spends unpaced"
)
def test_headers_on_four_answers_in_five_keep_the_share() -> None:
    _check(0.8, seed=0)
