"""Several pacers on one team's counter (fake clock, no network): together they keep to the share."""

from __future__ import annotations

from airflow_provider_salesloft.hooks.rate_limit import COST_HEADER, REMAINING_HEADER, RateLimitPacer


class Team:
    """Salesloft's per-window counter, shared by every client."""

    def __init__(self, limit: int) -> None:
        self.limit, self.spent = limit, 0

    def serve(self) -> dict[str, str]:
        self.spent += 1
        return {REMAINING_HEADER: str(self.limit - self.spent), COST_HEADER: "1"}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_clients_interleaved_keep_to_the_share_together() -> None:
    """Four clients, four requests in flight each, answers arriving in rounds: the team stops near half."""
    clock, team = Clock(), Team(limit=200)
    pacers = [RateLimitPacer(share=0.5, window_s=60, clock=clock) for _ in range(4)]
    for pacer in pacers:  # each learns the limit from one answer first
        assert pacer.try_acquire()[0]
        clock.now += 0.01
        pacer.release(1, clock.now - 0.01, 200, team.serve())
    for _ in range(200):
        sent = []
        for pacer in pacers:  # each lets out what it believes it may
            while len([s for s in sent if s[0] is pacer]) < 4 and pacer.try_acquire()[0]:
                sent.append((pacer, clock.now))
        if not sent:
            break
        clock.now += 0.04  # a round trip later, every answer arrives
        for pacer, sent_at in sent:
            pacer.release(1, sent_at, 200, team.serve())
    assert 90 <= team.spent <= 102  # the share (100): 113 without the reserve for what others have in flight
