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


def _windows_after_second(fraction: float, seed: int) -> tuple[list[int], int, int]:
    draws = random.Random(seed + 1)
    windows, calls, refused = run(seed, 3.3, FIXED, FIXED, with_headers=lambda: draws.random() < fraction)
    return windows[3:], sum(calls[3:]), sum(refused[3:])


def test_an_answer_stripped_of_its_headers_now_and_then_breaks_no_window() -> None:
    """Fixed (0.7.0): with the headers on a random 97 % of the answers (a stripped answer mostly alone), no
    full window after the task's second takes more than 102 % of its share, and no 429. In a task whose
    first answer carried the headers, two successes in a row without them start the headerless mode; one
    alone is counted off what the headers said was left. Before, over seeds 0-7: 4 of 56 windows over
    (107-109 %) and 0.55 % 429s; at 90 %: 24 of 56 and 1.77 % (now 6 and 0.57 %)."""
    for seed in range(8):
        windows, calls, refused = _windows_after_second(0.97, seed)
        assert all(cost <= 1.02 * SHARE * LIMIT for cost in windows), (seed, windows)
        assert refused == 0, (seed, refused, calls)


@pytest.mark.xfail(
    strict=True,
    reason="open (x22 defect 2): with the headers on 4 answers in 5, pairs of stripped answers still switch "
    "to the headerless mode, which spends unpaced (seeds 0-7: 14 of 56 windows over 102 %, 1.32 % 429s)",
)
def test_headers_on_four_answers_in_five_keep_the_share() -> None:
    over, calls, refused = 0, 0, 0
    for seed in range(8):
        windows, seed_calls, seed_refused = _windows_after_second(0.8, seed)
        over += sum(cost > 1.02 * SHARE * LIMIT for cost in windows)
        calls, refused = calls + seed_calls, refused + seed_refused
    assert over <= 1 and refused <= 0.01 * calls, (over, refused, calls)
