"""Benchmark of several syncs of one Salesloft team running side by side (run by ``make bench``).

Each sync runs in its own process, as Airflow tasks do, against one simulator process (20-50 ms latency),
all with the same ``rate_limit_share``: the share of the team's limit Airflow as a whole may use. Measured
side by side in one run, for 2 and 4 syncs at shares 1.0 and 0.5 of a 600/min limit:

- the 429s, as a share of all calls;
- the combined use of the limit in each window every sync covered with work from start to end, as a share
  of ``share x limit`` (the issue's target: 90-102 %);
- each sync's attempts per request (calls over calls that were not refused).

Then (issue #22):

- **costly writes**: the same four runs with adds costing 3 (``route_costs``): 429s, use of the share by
  cost;
- **one glitched answer**: a sync at share 0.9 whose answer to call 300 (the issue's, scaled to the window:
  call 50 with ``--quick``) reports ``remaining 59999``, then a second sync started when it ended, reading the
  team's Variable: each one's use of the share in every window it covered from start to end after its
  second (its first is the one its first request went out in), and whether all are >= 90 % (the issue's
  bound). Each sync has ``--windows`` windows of work (at least the issue's 2,000 adds at 600/min, scaled to
  the window): a 2,000-add sync sends the same calls as its first 2,000, but covers only one such window.

- **minute-aligned windows**: 4 syncs at share 1.0, with windows on the calendar boundaries and off them,
  each with the pacer's minute-aligned prior and without: probes (lone requests waiting for a window's turn;
  how many found the old window), 429s, use.

Each sync reports what it was charged in every window (``spent_by_task``: from its answers' cost headers),
beside the simulator's own count. ``--quick`` keeps the per-minute rate with 10-second windows (100 calls
a window). ``--scenarios`` picks some of ``shared,costly,aligned,glitch`` (default: all).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from typing import Any

from bench_sync import RESULTS, FakeTI, setup_airflow_home, simulator

from airflow_provider_salesloft.hooks.rate_limit import COST_HEADER, REMAINING_HEADER

#: What the simulator's ``glitch_remaining_at_call`` answer reports as remaining.
GLITCH_REMAINING = "59999"


def worker(first: int, count: int, share: float, prior: bool = True) -> dict[str, Any]:
    """One sync (in this process): ``count`` people from ``person<first>``; its timing and pacer counts.
    ``prior=False`` runs it without the minute-aligned prior (as if answers had refuted it)."""
    rows = [{"email": f"person{n}@example.com"} for n in range(first, first + count)]
    from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator

    SyncCadenceMembershipsOperator(task_id="warm", rows=[], cadence_id=10)  # imports done before the clock
    operator = SyncCadenceMembershipsOperator(
        task_id="bench_sync",
        rows=rows,
        cadence_id=10,
        max_failed_rows=10**9,
        rate_limit_share=share,
        max_concurrency=4,
    )
    pacer = operator.hook.pacer
    if not prior:
        pacer._windows.prior_refuted = True
    ledger: list[tuple[float, int, int | None]] = []  # (answered at, cost charged, status) of each request
    sent: list[float] = []  # when each request was let out (epoch)
    glitches: list[float] = []  # when an answer reporting GLITCH_REMAINING came (epoch)
    release = pacer.release
    to_epoch = time.time() - time.monotonic()  # the pacer's clock is time.monotonic

    def recorded(
        cost: int, sent_at: float, status: int | None, headers: Any, route: str | None = None
    ) -> None:
        charged = (headers or {}).get(COST_HEADER)
        ledger.append((time.time(), int(charged) if charged else cost, status))
        sent.append(sent_at + to_epoch)
        if (headers or {}).get(REMAINING_HEADER) == GLITCH_REMAINING:
            glitches.append(time.time())
        release(cost, sent_at, status, headers, route)

    pacer.release = recorded  # type: ignore[method-assign]
    team_before = pacer._store.load() if pacer._store is not None else None  # what the task starts from
    started = time.time()
    summary = operator.execute({"ti": FakeTI()})
    ended = time.time()
    team_after = pacer._store.load() if pacer._store is not None else None
    return {
        "started": started,
        "first_sent": min(sent, default=started),
        "ended": ended,
        "added": summary["added"],
        "requests": summary["api_calls"],
        "rate_limited": summary["rate_limited"],
        "probes": operator.hook.pacer.stats.probes,
        "early_probes": operator.hook.pacer.stats.early_probes,
        "ledger": ledger,
        "glitches": glitches,
        "limit_estimate": pacer.limit_estimate,
        "team_limit_before": team_before.limit if team_before else None,
        "team_limit_after": team_after.limit if team_after else None,
    }


def start_worker(first: int, count: int, share: float, prior: bool = True) -> subprocess.Popen[str]:
    """One sync in its own process (as an Airflow task runs)."""
    return subprocess.Popen(
        [sys.executable, __file__, "--worker", str(first), str(count), str(share), str(int(prior))],
        stdout=subprocess.PIPE,
        text=True,
    )


def result_of(process: subprocess.Popen[str]) -> dict[str, Any]:
    return json.loads(process.communicate()[0].strip().splitlines()[-1])


def side_by_side(
    syncs: int,
    share: float,
    window_s: float,
    windows: int,
    add_cost: int = 1,
    aligned: bool = False,
    prior: bool = True,
) -> dict[str, Any]:
    per_window = round(600 * window_s / 60)
    allowed = share * per_window
    each = int(allowed * windows / syncs / add_cost)
    with simulator(
        people=each * syncs + 10, rate_limit=per_window, rate_window_s=window_s, latency_ms=(20, 50)
    ) as (_, admin):
        if add_cost != 1:
            admin("/_sim/faults", {"route_costs": {"POST /v2/cadence_memberships": add_cost}})
        if aligned:
            admin("/_sim/faults", {"rate_window_aligned": True})
        processes = [start_worker(1 + n * each, each, share, prior) for n in range(syncs)]
        results = [result_of(p) for p in processes]
        stats = admin("/_sim/stats")
    origin = stats["rate_window_origin"]
    costs = {int(window): cost for window, cost in stats["cost_by_window"].items()}
    all_working_from = max(r["started"] for r in results)
    all_working_until = min(r["ended"] for r in results)
    first = math.ceil((all_working_from - origin) / window_s)
    last = math.floor((all_working_until - origin) / window_s) - 1
    full = [costs.get(window, 0) for window in range(first, last + 1)]
    by_task = [
        [
            sum(
                cost
                for at, cost, status in r["ledger"]
                if status != 429 and int((at - origin) // window_s) == w
            )
            for w in range(first, last + 1)
        ]
        for r in results
    ]
    return {
        "syncs": syncs,
        "rate_limit_share": share,
        "add_cost": add_cost,
        "rows_per_sync": each,
        "added": sum(r["added"] for r in results),
        "calls": stats["calls"],
        "rate_limited": stats["rate_limited"],
        "share_429": round(stats["rate_limited"] / max(stats["calls"], 1), 4),
        "windows_all_working": full,
        "use_of_share": [round(cost / allowed, 3) for cost in full],
        "spent_by_task": by_task,  # each sync's charged cost in those windows, as it saw its answers
        "attempts_per_request": [
            round(r["requests"] / max(r["requests"] - r["rate_limited"], 1), 3) for r in results
        ],
        "windows_aligned": aligned,
        "minute_aligned_prior": prior,
        "probes": sum(r["probes"] for r in results),
        "early_probes": sum(r["early_probes"] for r in results),
    }


def full_windows_after_second(first_sent: float, ended: float, origin: float, window_s: float) -> range:
    """The windows (numbered from the simulator's ``origin``) a task covered from start to end, after its
    second: its first window is the one its first request went out in, even a moment before it ended."""
    first = math.floor((first_sent - origin) / window_s)
    last = math.floor((ended - origin) / window_s) - 1  # the last window that ended before the task did
    return range(first + 2, last + 1)


def after_a_glitch(
    window_s: float, adds: int, at_call: int, share: float = 0.9, tasks: int = 2
) -> dict[str, Any]:
    """A sync whose ``at_call``-th answer reports ``remaining 59999``, then a second sync started when it
    ended, reading the team's Variable: each one's use of the share in every window after its second."""
    per_window = round(600 * window_s / 60)
    allowed = share * per_window
    load_before = os.getloadavg()[0]
    started = time.time()
    with simulator(
        people=tasks * adds + 10, rate_limit=per_window, rate_window_s=window_s, latency_ms=(20, 50)
    ) as (_, admin):
        admin("/_sim/faults", {"glitch_remaining_at_call": at_call})
        results = [result_of(start_worker(1 + n * adds, adds, share)) for n in range(tasks)]  # in turn
        stats = admin("/_sim/stats")
    origin = stats["rate_window_origin"]
    costs = {int(window): cost for window, cost in stats["cost_by_window"].items()}
    report = []
    for result in results:
        first_window = math.floor((result["first_sent"] - origin) / window_s)
        windows = full_windows_after_second(result["first_sent"], result["ended"], origin, window_s)
        use = [round(costs.get(window, 0) / allowed, 3) for window in windows]
        report.append(
            {
                "added": result["added"],
                "requests": result["requests"],
                "rate_limited": result["rate_limited"],
                "seconds": round(result["ended"] - result["first_sent"], 1),
                "glitch_in_window": [
                    round((at - origin) / window_s - first_window, 2) for at in result["glitches"]
                ],  # counted from the task's first window (0), with the fraction of it gone by
                "team_limit_before": result["team_limit_before"],
                "team_limit_after": result["team_limit_after"],
                "limit_estimate": result["limit_estimate"],
                "use_of_share_after_second_window": use,
                "spent_by_task": [
                    sum(
                        cost
                        for at, cost, status in result["ledger"]
                        if status != 429 and int((at - origin) // window_s) == window
                    )
                    for window in windows
                ],
                "met": bool(use) and min(use) >= 0.9,
            }
        )
    return {
        "window_s": window_s,
        "adds_per_sync": adds,
        "rate_limit_share": share,
        "glitch_at_call": at_call,
        "tasks": report,
        "rate_limited": stats["rate_limited"],
        "calls": stats["calls"],
        "seconds": round(time.time() - started, 1),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10-second windows instead of 60 (same rate)")
    parser.add_argument("--windows", type=int, default=6, help="windows of work for the syncs together")
    parser.add_argument(
        "--scenarios",
        default="shared,costly,aligned,glitch",
        help="comma-separated: shared,costly,aligned,glitch",
    )
    parser.add_argument(
        "--glitch-at",
        type=int,
        default=0,
        help="the glitched answer's call number (default: 300 at 60-second windows, scaled: 50 with --quick)",
    )
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        first, count, share = int(args.worker[0]), int(args.worker[1]), float(args.worker[2])
        print(json.dumps(worker(first, count, share, prior=args.worker[3] == "1")))
        return 0
    setup_airflow_home()
    window = 10.0 if args.quick else 60.0
    results: dict[str, Any] = {"quick": args.quick, "machine": f"{os.cpu_count()} cores", "runs": []}
    scenarios = args.scenarios.split(",")
    for add_cost, name in ((1, "shared"), (3, "costly")):
        if name not in scenarios:
            continue
        print(
            f"== syncs side by side, one team, 600/min (window {window:.0f} s), adds cost {add_cost}",
            flush=True,
        )
        for syncs in (2, 4):
            for share in (1.0, 0.5):
                run = side_by_side(syncs, share, window, args.windows, add_cost)
                results["runs"].append(run)
                print(
                    f"   {syncs} syncs at share {share}: use of the share per window all worked "
                    f"{run['use_of_share']}; 429s {run['share_429']:.2%} of {run['calls']} calls; "
                    f"attempts per request {run['attempts_per_request']}; cost by sync per window "
                    f"{run['spent_by_task']}",
                    flush=True,
                )
    if "aligned" in scenarios:
        print(f"== minute-aligned windows, 4 syncs at share 1.0 (window {window:.0f} s)", flush=True)
        for aligned, prior in ((True, True), (True, False), (False, True), (False, False)):
            run = side_by_side(4, 1.0, window, args.windows, aligned=aligned, prior=prior)
            results["runs"].append(run)
            print(
                f"   windows {'on' if aligned else 'off'} the minute, prior {'on' if prior else 'off'}: "
                f"probes {run['probes']} ({run['early_probes']} found the old window); "
                f"429s {run['share_429']:.2%} of {run['calls']} calls; use {run['use_of_share']}",
                flush=True,
            )
    if "glitch" in scenarios:
        # The issue's 2,000 adds at 600/min with the 300th answer glitched, scaled to the window (at least
        # --windows windows of work per sync, so that several windows after the second are measured).
        per_window = round(600 * window / 60)
        adds = max(round(2000 * window / 60), args.windows * round(0.9 * per_window))
        at_call = args.glitch_at or round(300 * window / 60)
        print(
            f"== one answer reports remaining 59999 (call {at_call}), {adds} adds, share 0.9 "
            f"(window {window:.0f} s); then a second sync reading the team's Variable",
            flush=True,
        )
        glitch = after_a_glitch(window, adds, at_call)
        results["glitch"] = glitch
        for number, task in enumerate(glitch["tasks"], 1):
            print(
                f"   sync {number}: added {task['added']} in {task['seconds']} s, {task['requests']} calls, "
                f"{task['rate_limited']} 429s; glitched answers at {task['glitch_in_window'] or '-'} of its "
                f"windows (0: its first); "
                f"team limit before {task['team_limit_before']}, after {task['team_limit_after']}; use of "
                f"the share in each full window after its second {task['use_of_share_after_second_window']}: "
                f"{'>= 90 %' if task['met'] else 'MISSED (< 90 % or no window measured)'}",
                flush=True,
            )
        print(
            f"   429s {glitch['rate_limited']} of {glitch['calls']} calls; {glitch['seconds']} s; load "
            f"average {glitch['load_average'][0]} -> {glitch['load_average'][1]}",
            flush=True,
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "shared.json").write_text(json.dumps(results, indent=2))
    print(f"results: {RESULTS / 'shared.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
