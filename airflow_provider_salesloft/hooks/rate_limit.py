"""Pacing of a hook's calls to the share of the team's rate limit it may use.

Salesloft's limit is per team, shared by every integration, counted in cost per window (a minute), and
raised per customer, so it is learned from the answers instead of assumed: every response carries
``x-ratelimit-remaining-minute`` and ``x-ratelimit-endpoint-cost`` (reported; both may be absent, and then
the limit and the windows' phase are learned from the 429s alone, :mod:`.headerless_pacing`). No header
gives the reset time, so the pacer learns when windows start by watching ``remaining`` jump back up
(:mod:`.window_phase`; the hook first assumes calendar minutes, until an answer refutes them).

The policy:

* until the first answer, one request at a time (it tells the limit); then, from each window's start or
  probe, at most the cost answered since in flight (a slow start by cost, doubling every round trip, while
  the pacer learns whether other clients of the team are spending);
* the limit ``L`` is estimated as the largest ``remaining + cost`` seen; ``(1 - share) * L`` is left for
  other integrations of the team;
* a request goes out only while ``remaining - reserve - cost in flight >= its cost``; otherwise callers wait
  for the next window and one probe request tells whether it has begun (1 % of the limit stays unspent
  for such probes, so that they find budget rather than a 429);
* window starts are located to an interval ``(lo, hi]`` (the last request that saw the old window, the
  answer to the first that saw the new one), narrowed by probing its middle: the first window costs a few
  probes, later windows are entered on time with none;
* a 429 blocks every caller of the hook until the next expected window, so a spent budget costs one 429,
  not a storm; an expected window start that has passed with the budget still spent, or a probe answered
  429, means the next window when other clients are seen spending (they spent this one first), and else
  discards the estimate: probing resumes about every fifth of a window (at random, so that waiting tasks do
  not probe together), never at once; in the first window the task or its team spent, not before its last
  stretch (:mod:`.first_window`).

Several tasks of one team (any executor, any number of workers) share Salesloft's own counter: each one
holds its requests while ``remaining`` is within the reserve, so together they stay within ``share`` of the
limit without talking to each other. What the others spend (``remaining`` fell by more than the task's own
requests explain, measured over several answers) is turned into what they have in flight at any moment,
which no task can see, and kept in reserve as well; near the end of the share, each task claims of what is
free only its part (in proportion to what it spends beside the others), so that together they do not carry
the team past its share at the end of a window. A task that finds a window spent reads the team's window
before it waits, so that it enters the next one when the team knows it starts.

Two things a task cannot learn alone are shared through the team's window
(:mod:`~airflow_provider_salesloft.hooks.team_window`, an Airflow Variable): the limit (a task that joins
while others are spending sees less left than the limit, and would take the difference as its own) and when
windows start (so that a joining task needs no probes, and while nobody knows yet, the team's tasks take
turns probing instead of each spending a request on the same question).
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from airflow_provider_salesloft.hooks.first_window import earliest_blind_probe
from airflow_provider_salesloft.hooks.headerless_pacing import HeaderlessPacing
from airflow_provider_salesloft.hooks.limit_estimate import LimitEstimate
from airflow_provider_salesloft.hooks.rate_headers import COST_HEADER, REMAINING_HEADER, int_header
from airflow_provider_salesloft.hooks.route_costs import RouteCosts
from airflow_provider_salesloft.hooks.spend_estimate import ForeignSpend
from airflow_provider_salesloft.hooks.stopping import stopped_error
from airflow_provider_salesloft.hooks.team_window import TeamWindow, TeamWindowStore, window_problem
from airflow_provider_salesloft.hooks.window_phase import PHASE_PRECISION, WindowPhase, width
from airflow_provider_salesloft.validation import check_rate_limit_share

#: While the window's start is unknown, probe this often (share of a window).
PROBE_EVERY = 0.2
#: Share of the limit kept unspent for probes, so that a probe finds budget instead of a 429.
PROBE_RESERVE = 0.01
#: Share of the estimate of what other clients have in flight kept in reserve. Less than all of it: near the
#: end of the share each task also claims only its part of what is free (see ``RateLimitPacer._may_claim``);
#: with both in full, tasks whose writes cost 3 left some windows below 90 % of their share.
FOREIGN_CAUTION = 0.75
#: Shortest sleep of a waiting caller, whatever the clock, the store or the headers say.
MIN_WAIT_S = 0.01
#: Answers remembered (when, what they cost) to tell how much may have been charged after a request.
ANSWERS_REMEMBERED = 512

log = logging.getLogger(__name__)


@dataclass
class PacerStats:
    """What the pacer saw; read by the sync operator's progress lines and summary."""

    requests: int = 0
    rate_limited: int = 0
    probes: int = 0  # requests let out alone to tell whether a new window began
    early_probes: int = 0  # of those, the ones that found the old window still running


class RateLimitPacer:
    """Thread-safe gate in front of every request of one hook.

    :param share: share of the team's limit this hook may use, ``0.01 <= share <= 1``.
    :param window_s: length of the rate-limit window in seconds.
    :param clock: monotonic clock (injectable for tests).
    :param store: where the team's tasks share the limit and window starts they learned (none: learn alone).
    :param wall_clock: epoch clock, to share window starts between machines (injectable for tests).
    :param minute_aligned: until answers refute it, assume windows start at whole multiples of ``window_s``
        in epoch time (calendar minutes), as public clients of Salesloft do
        (:mod:`~airflow_provider_salesloft.hooks.window_phase`).
    """

    def __init__(
        self,
        share: float = 1.0,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        store: TeamWindowStore | None = None,
        wall_clock: Callable[[], float] = time.time,
        minute_aligned: bool = False,
    ) -> None:
        self.share = check_rate_limit_share(share)
        self.window_s = window_s
        self._clock = clock
        self._store = store
        self._wall_clock = wall_clock
        self._sharing = False  # a thread is reading or writing the team's store
        self._load_due = store is not None  # read the team's window before the first request
        self._save_due = False
        self._shared: TeamWindow | None = None  # the team's window as last read or written
        self._store_checked_for_probe = False
        self._probing_at: float | None = None  # a blind probe of ours found the old window (epoch), to tell
        self._invalid_window_noted = False
        self._cond = threading.Condition()
        self._limit = LimitEstimate()
        self._costs = RouteCosts()
        self.remaining: int | None = None
        self._remaining_read_at: float | None = None  # when an answer's header last set it (None: a 429 did)
        self._answers = 0
        self._answered: deque[tuple[float, int]] = deque(maxlen=ANSWERS_REMEMBERED)  # (answered at, cost)
        self._need_probe = False
        self._inflight = 0
        self._inflight_cost = 0
        self._claim_drawn_at = -1  # the answer count at the last draw for a part smaller than a request
        self._claim_won = False
        self._fresh_cost = 0  # cost answered since the window's start or the last probe (slow start)
        self._blocked_until = 0.0
        self._windows = WindowPhase(window_s, aligned_prior=minute_aligned)  # when windows start
        self._spend = ForeignSpend()  # what other clients of the team have in flight
        self._headerless = HeaderlessPacing(self._windows, self.share)  # while answers carry no headers
        self.stats = PacerStats()
        self.stopped: str | None = None  # why the task is stopping (see :meth:`stop`)

    def cost_of(self, route: str | None) -> int:
        """What a request of ``route`` (``"GET /v2/people/{id}"``) is expected to cost, as answers told."""
        with self._cond:
            return self._costs.cost(route, self._limit.value)

    @property
    def limit_estimate(self) -> int | None:
        """The team's limit (cost per window) this pacer paces on; None until an answer (or a 429) says."""
        return self._headerless.paced_limit(self._limit.value)

    # -- window phase (call with the lock held) ----------------------------------------------------------
    def _saw_window_start(self, sent_at: float, answered_at: float | None = None) -> None:
        """The request sent at ``sent_at`` (its answer came at ``answered_at``) was the first seen in a new
        window."""
        shared = self._shared
        seen = None
        if shared is not None and shared.probed_at is not None:  # another task's probe saw the old window
            seen = shared.probed_at - self._wall_offset()
        self._windows.saw_start(sent_at, seen, self._wall_offset(), charged_by=answered_at)
        self._new_window()
        self._load_due = self._save_due = self._store is not None  # once a window: compare with the team

    def _new_window(self) -> None:
        """Counts kept per window start afresh: others' spend, the slow start, the limit's window."""
        self._spend.restart(limit=self.limit_estimate)
        self._fresh_cost = 0
        self._limit.new_window()

    def _block_until_next_window(self, now: float) -> None:
        """Hold every caller until a new window may have begun; then one probe goes first."""
        self._headerless.guess_phase_from_prior(now, self._wall_offset())
        upcoming = self._windows.next_start(now)
        if upcoming is not None and upcoming[1] <= now and self._seen_after(upcoming[1]):
            if self._spend.in_flight > 0:
                # The window turned, and the other clients of the team spent it before us: the next one.
                behind = math.floor((now - upcoming[1]) / self.window_s + 1) * self.window_s
                upcoming = (upcoming[0] + behind, upcoming[1] + behind)
            else:  # alone, yet the budget is still spent after the expected turn: the estimate is stale
                self._windows.forget()
                upcoming = None
        if upcoming is None:
            moment = self._blind_probe_at(now)
        else:
            lo, hi = max(upcoming[0], now), upcoming[1]
            # Probe the middle of the uncertain interval until it is narrow; then enter at its end. With
            # other clients spending the team's budget, every task's probes landing in the old window would
            # add up past the share: enter at the end at once (without headers: HeaderlessPacing.at_end).
            narrow = hi - lo <= PHASE_PRECISION * self.window_s or self._headerless.at_end(hi - lo)
            moment = hi if narrow or self._spend.in_flight > 0 else (lo + hi) / 2
        self._blocked_until = max(self._blocked_until, moment, now)
        self._need_probe = True
        self._load_due = self._load_due or self._store is not None  # the team may know the turn better

    def _seen_after(self, turn: float) -> bool:
        """Whether a request sent at or after ``turn`` (the expected window start) showed the budget spent.
        Else what showed it was sent before the turn and answered after it (a slow answer): it tells nothing
        of the new window, which is entered at once. (Taken for the new window spent, it made a lone task
        forget the phase, and one that measured others spending skip a whole window.)"""
        seen = self._windows.last_in_window_at
        if seen is None:
            seen = self._windows.started_at
        return seen is None or seen >= turn

    def _blind_probe_at(self, after: float) -> float:
        """When the next blind probe may go: a probe gap after ``after``; in the first window the task or its
        team spent (with headers; not a lone task's whose first answer found it spent by others), not before
        its last stretch (:mod:`.first_window`)."""
        moment = after + self._probe_gap()
        spent_by_team = self._answers > 1 or self._shared is not None  # not an outsider's spent window
        if self._windows.started_at is None and spent_by_team and not self._headerless.active:
            first_seen, trip = self._windows.first_seen_at, self._spend.round_trip
            moment = max(moment, earliest_blind_probe(first_seen, self.window_s, trip, self.share))
        return moment

    def _probe_gap(self) -> float:
        """Seconds to the next probe while the window's start is unknown: about PROBE_EVERY of a window,
        at random, so that the tasks of a team that all wait do not probe at the same moment."""
        return PROBE_EVERY * self.window_s * random.uniform(0.5, 1.5)

    def _reserve(self) -> float:
        limit = self.limit_estimate or 0
        probe = max(math.ceil(PROBE_RESERVE * limit), self._costs.largest())  # a probe of any route fits
        base = max((1.0 - self.share) * limit, float(probe))
        # What other clients may have in flight (never more than the limit, which may have decayed since)
        others = math.ceil(min(self._spend.in_flight, limit) * FOREIGN_CAUTION)
        return base + others

    def _may_claim(self, cost: int) -> bool:
        """Whether a request of ``cost`` fits what is left of the share, beside what is in flight.

        What is free (``remaining`` less the reserve) is shared with the other clients of the team in
        proportion to what they spend: every client claiming all of it at once would carry the team past its
        share by what they together have in flight. When this client's part is less than one request and
        nothing of its own is in flight, it goes with the probability that part is of the request, decided
        once per answer: together the clients then let out, on average, what is free."""
        free = (self.remaining or 0) - self._reserve()
        if free - self._inflight_cost < cost:
            return False
        if free >= 2 * (self._spend.in_flight + self._inflight_cost + cost):
            return True  # far from the end: what the team has in flight cannot use up what is free
        part = free * (1.0 - self._spend.their_part)
        if self._inflight_cost + cost <= part:
            return True
        if self._inflight > 0:
            return False
        if self._claim_drawn_at != self._answers:
            self._claim_drawn_at = self._answers
            self._claim_won = random.random() < part / cost
        return self._claim_won

    # -- public API ------------------------------------------------------------------------------------
    def stop(self, reason: str) -> None:
        """Let no request out from now on: waiting and later callers of :meth:`acquire` and :meth:`pause`
        raise :class:`~airflow_provider_salesloft.hooks.stopping.SalesloftStopped`."""
        with self._cond:
            self.stopped = self.stopped or reason
            self._cond.notify_all()

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` (a retry's or a poll's wait), ending at once with an error when stopped."""
        with self._cond:
            self._cond.wait_for(lambda: self.stopped is not None, timeout=max(seconds, 0.0))
            if self.stopped is not None:
                raise stopped_error(self.stopped)

    def acquire(self, cost: int = 1) -> float:
        """Block until a request of ``cost`` may go out; return the clock time it was let through."""
        while True:
            self._share_with_team()
            with self._cond:
                if self.stopped is not None:
                    raise stopped_error(self.stopped)
                admitted, pause = self._admit(cost)
                if admitted:
                    return self._clock()
                self._wait(pause)

    def _wait(self, pause: float) -> None:
        """The one place a caller waits (lock held): asleep on the condition, woken by an answer, by the end
        of a turn at the team's store, or after ``pause`` (at least :data:`MIN_WAIT_S`, whatever the clock
        says). It returns at once only when the team's store is due and free: the caller goes to it."""
        if (self._load_due or self._save_due) and not self._sharing:
            return
        self._cond.wait(timeout=max(pause, MIN_WAIT_S))

    def try_acquire(self, cost: int = 1) -> tuple[bool, float]:
        """Let a request of ``cost`` out now if it may: ``(True, 0)``; else ``(False, seconds to wait)``."""
        self._share_with_team()
        with self._cond:
            return self._admit(cost)

    def _admit(self, cost: int) -> tuple[bool, float]:
        now = self._clock()
        one_at_a_time = self._need_probe or self._answers == 0
        if self._headerless.active:  # the pacer counts each window from where it surely began
            self._blocked_until = max(self._blocked_until, self._headerless.hold_until(now, self._new_window))
            self.remaining = self._headerless.remaining()
        if now < self._blocked_until:
            return False, self._blocked_until - now
        if one_at_a_time and self._inflight > 0:
            return False, 0.05  # the answer in flight tells what is left: wait for it
        if (
            self._need_probe
            and self._windows.interval is None
            and self._store is not None
            and not self._store_checked_for_probe
        ):  # another task may have seen the new window, or just probed for it: ask the team first
            self._store_checked_for_probe = self._load_due = True
            return False, 0.0
        if not self._need_probe and self.remaining is not None and not self._may_claim(cost):
            if self._inflight > 0:
                return False, 0.05  # answers in flight may show a new window
            self._block_until_next_window(now)
            return False, self._blocked_until - now
        if self.remaining is not None and self._inflight_cost + cost > max(cost, self._fresh_cost):
            return False, 0.05  # slow start, by cost: in flight at most what was answered since the start
        self._store_checked_for_probe = False
        self.stats.probes += self._need_probe
        self._inflight += 1
        self._inflight_cost += cost
        self._spend.sent(now, cost)
        self.stats.requests += 1
        return True, 0.0

    def release(
        self,
        cost: int,
        sent_at: float,
        status: int | None,
        headers: Mapping[str, str] | None,
        route: str | None = None,
    ) -> None:
        """Record the answer of a request of ``cost`` let through by :meth:`acquire` at ``sent_at`` (its
        route, when given, learns what it costs)."""
        with self._cond:
            self._inflight -= 1
            self._inflight_cost -= cost
            self._answers += 1
            self._spend.answered(self._clock() - sent_at)
            if status == 429:
                self.stats.rate_limited += 1
            stale = self._windows.started_at is not None and sent_at < self._windows.started_at
            probe = self._need_probe
            if status is None:
                self._need_probe = False  # no answer at all: nothing learned
            elif stale:
                pass  # sent before the latest known window start: tells nothing about the current window
            elif status == 429:
                if self._headerless.wrong_turn(self._clock(), probe) and self._spend.in_flight <= 0:
                    # A probe at the predicted window start found it spent (without headers: soon after the
                    # turn), and nobody else spends: the guess was wrong. (Others may have spent it.)
                    self._windows.forget()
                self.remaining = 0
                self._remaining_read_at = None
                self._windows.saw_same(sent_at, self._wall_offset())
                if probe:
                    self.stats.early_probes += 1
                    self._tell_team_probe_found_old_window(sent_at)
                self._block_until_next_window(self._clock())
            else:
                self._need_probe = False
                if self._headerless.takes(status, int_header(headers, REMAINING_HEADER), cost):
                    if self._headerless.answered(sent_at, cost, self._clock()):  # a window began by then
                        self._saw_window_start(self._clock())
                    self.remaining = self._headerless.remaining()
                    self._remaining_read_at = None  # counted, not read from a header
                else:
                    self._read_headers(sent_at, headers, cost, probe, route)
                self._fresh_cost += cost
            self._answered.append((self._clock(), cost))
            self._cond.notify_all()

    def _read_headers(
        self, sent_at: float, headers: Mapping[str, str] | None, cost: int, probe: bool, route: str | None
    ) -> None:
        remaining = int_header(headers, REMAINING_HEADER)
        if remaining is None:  # one answer stripped of the headers (HeaderlessPacing.takes): it was charged
            if self.remaining is not None:
                self.remaining = max(0, self.remaining - cost)
            return
        charged = int_header(headers, COST_HEADER) or cost
        if not self._limit.observe(remaining + charged):
            return  # out of line with every other answer: not trusted until another agrees
        self._costs.learn(route, charged)
        if self._store is not None and self._limit.to_share(self._shared.limit if self._shared else None):
            self._save_due = True
        # A lone request sent after ``remaining`` was read is charged after all that reading counts: in the
        # same window it shows less. (Else answers in flight may arrive out of order.) Without this, a task
        # held to one request a window never saw a window begin, and a wrong limit never decayed.
        after = probe and self._remaining_read_at is not None and sent_at >= self._remaining_read_at
        slack = -1 if after else self._inflight_cost + charged
        reordered = 0 if after else self._answered_since(sent_at)
        if self.remaining is not None and remaining > self.remaining + slack + reordered:
            self._saw_window_start(sent_at, self._clock())  # remaining went back up
            self.remaining = remaining
        elif self.remaining is not None and remaining > self.remaining + slack:
            return  # charged before answers already read (round trips vary), or a new window: later ones tell
        elif self.remaining is not None and remaining < self.remaining - slack and self._in_turn(sent_at):
            return  # sent while the window turned, charged in the old one (sent later, it got there sooner)
        else:
            self._windows.saw_same(sent_at, self._wall_offset())
            self.remaining = remaining if self.remaining is None else min(self.remaining, remaining)
        self._remaining_read_at = self._clock()
        if probe:  # a lone request after a pause: a new starting point, not a measure of others' pace
            self._spend.restart(sent_at, remaining)
            self._fresh_cost = 0
            if self._windows.started_at != sent_at:
                self.stats.early_probes += 1
                self._tell_team_probe_found_old_window(sent_at)
        else:
            self._spend.measure(sent_at, remaining, self.limit_estimate)

    def _in_turn(self, sent_at: float) -> bool:
        """Whether ``sent_at`` is within the latest window turn's interval (after the first request seen in
        the new window was sent, before the window surely began): such a request may have been charged in
        either window. One of the old window taken for the new one's ``remaining`` showed the new window
        spent at its start, and the task lost it."""
        started, interval = self._windows.started_at, self._windows.interval
        if started is None or interval is None or sent_at < started:
            return False
        return sent_at < self._windows.moved(interval, started)[1]

    def _answered_since(self, sent_at: float) -> int:
        """The cost of this pacer's requests answered since ``sent_at``: each may have been charged after the
        request sent then, and answered before it (round trips vary), so a ``remaining`` above theirs by up to
        that much is the same window, not a new one. (Counting only what is still in flight took such a
        reordered answer for a window's turn: the phase moved by up to a window and the task lost one.)"""
        total = 0
        for answered_at, cost in reversed(self._answered):
            if answered_at < sent_at:
                break
            total += cost
        return total

    # -- the team's shared window ----------------------------------------------------------------------
    def _wall_offset(self) -> float:
        """Epoch time minus the pacer's clock: the team's window is shared in epoch time."""
        return self._wall_clock() - self._clock()

    def _tell_team_probe_found_old_window(self, sent_at: float) -> None:
        """A blind probe (the window's start unknown) found the old window: tell the team, so that the others
        wait their turn, and the one that sees the new window knows it began after this."""
        if self._windows.interval is None and self._store is not None:
            self._probing_at = sent_at + self._wall_offset()
            self._save_due = True

    def _share_with_team(self) -> None:
        """Read the team's window from the store, or write what this pacer learned, when due.

        Called before a request, outside the pacer's lock (the store may be a call to Airflow's API): one
        thread does it while the others go on, or sleep until it is done if they need its answer.
        """
        if self._store is None:
            return
        with self._cond:
            if self._sharing or not (self._load_due or self._save_due):
                return
            self._sharing = True
            load, self._load_due = self._load_due, False
        try:
            if load:
                loaded = self._store.load()
                with self._cond:
                    self._adopt(loaded)
            with self._cond:
                self._save_due = False
                learned = self._worth_sharing()
            if learned is not None:
                self._store.save(learned)
                self._shared = learned
        finally:
            with self._cond:
                self._sharing = False
                self._cond.notify_all()

    def _adopt(self, window: TeamWindow | None) -> None:
        """Start from what the team's tasks learned: the larger limit, the narrower window start. An invalid
        window (any store's) is ignored and logged once; the next save replaces it."""
        if window is not None:
            problem = window_problem(window, self.window_s, self._wall_clock())
            if problem is not None:
                if not self._invalid_window_noted:
                    self._invalid_window_noted = True
                    log.warning("Ignoring the team's rate-limit window (%s); learning it alone", problem)
                window = None
        self._shared = window
        if window is None:
            return
        if self._need_probe and self._windows.interval is None and window.probed_at is not None:
            since = self._wall_clock() - window.probed_at
            if 0 <= since < 0.8 * PROBE_EVERY * self.window_s:  # another task of the team just probed
                self._blocked_until = self._blind_probe_at(self._clock() - since)
                self._store_checked_for_probe = False
        self._limit.adopt_stored(window.limit)
        if window.starts is None:
            return
        now = self._clock()
        offset = self._wall_offset()
        lo, hi = window.starts[0] - offset, window.starts[1] - offset
        known = self._windows.interval
        if (
            known is None or self._windows.from_prior or hi - lo < known[1] - known[0]
        ):  # learned beats guessed
            behind = math.floor((now - hi) / self.window_s) * self.window_s  # the latest start before now
            lo, hi = lo + behind, hi + behind
            self._windows.adopt(lo, hi)
            if self._need_probe:  # waiting to probe for the window's turn: now we know when it is (was)
                if self._windows.last_in_window_at is not None and self._windows.last_in_window_at < lo:
                    self._blocked_until = now  # it turned since our last answer: the budget is fresh
                else:
                    self._windows.started_at = max(self._windows.started_at or hi, hi)
                    self._blocked_until = self._windows.shift(hi, hi + self.window_s)  # enter the next one

    def _worth_sharing(self) -> TeamWindow | None:
        """What this pacer knows, if it is more than the store holds (a larger limit, a narrower start)."""
        shared = self._shared
        news = self._limit.to_share(shared.limit if shared else None)
        if shared is None and news is None:
            return None
        limit = news if news is not None else shared.limit if shared is not None else 0
        offset = self._wall_offset()
        phase = None if self._windows.from_prior else self._windows.interval  # a guess is not news
        starts = None if phase is None else (phase[0] + offset, phase[1] + offset)
        probed_at, self._probing_at = self._probing_at, None
        better = (
            news is not None
            or probed_at is not None
            or (
                starts is not None
                and shared is not None
                and (shared.starts is None or width(starts) < 0.9 * width(shared.starts))
            )
        )
        if not better:
            return None
        return TeamWindow(
            limit=limit,
            starts=starts if starts is not None or shared is None else shared.starts,
            saved_at=self._wall_clock(),
            probed_at=probed_at if probed_at is not None or shared is None else shared.probed_at,
        )

    def wait_after_rate_limit(self) -> float:
        """Seconds a 429'd request should wait before its retry: until a new window may have begun."""
        with self._cond:
            now = self._clock()
            self._block_until_next_window(now)
            return max(0.0, self._blocked_until - now)
