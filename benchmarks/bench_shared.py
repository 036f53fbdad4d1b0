"""Benchmark of several syncs of one Salesloft team running side by side (run by ``make bench``).

Each sync runs in its own process, as Airflow tasks do, against one simulator process (20-50 ms latency),
all with the same ``rate_limit_share``: the share of the team's limit Airflow as a whole may use. Measured
side by side in one run, for 2 and 4 syncs at shares 1.0 and 0.5 of a 600/min limit:

- the 429s, as a share of all calls;
- the combined use of the limit in each window every sync covered with work from start to end, as a share
  of ``share x limit`` (the issue's target: 90-102 %);
- each sync's attempts per request (calls over calls that were not refused).

``--quick`` keeps the per-minute rate with 10-second windows (100 calls a window).
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

from bench_sync import RESULTS, setup_airflow_home, simulator, sync_rows


def worker(first: int, count: int, share: float) -> dict[str, Any]:
    """One sync (in this process): ``count`` people from ``person<first>``; its timing and pacer counts."""
    rows = [{"email": f"person{n}@example.com"} for n in range(first, first + count)]
    from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator

    SyncCadenceMembershipsOperator(task_id="warm", rows=[], cadence_id=10)  # imports done before the clock
    started = time.time()
    summary = sync_rows(rows, rate_limit_share=share, max_concurrency=4)
    return {
        "started": started,
        "ended": time.time(),
        "added": summary["added"],
        "requests": summary["api_calls"],
        "rate_limited": summary["rate_limited"],
    }


def side_by_side(syncs: int, share: float, window_s: float, windows: int) -> dict[str, Any]:
    per_window = round(600 * window_s / 60)
    allowed = share * per_window
    each = int(allowed * windows / syncs)
    with simulator(
        people=each * syncs + 10, rate_limit=per_window, rate_window_s=window_s, latency_ms=(20, 50)
    ) as (_, admin):
        processes = [
            subprocess.Popen(
                [sys.executable, __file__, "--worker", str(1 + n * each), str(each), str(share)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for n in range(syncs)
        ]
        results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in processes]
        stats = admin("/_sim/stats")
    origin = stats["rate_window_origin"]
    costs = {int(window): cost for window, cost in stats["cost_by_window"].items()}
    all_working_from = max(r["started"] for r in results)
    all_working_until = min(r["ended"] for r in results)
    first = math.ceil((all_working_from - origin) / window_s)
    last = math.floor((all_working_until - origin) / window_s) - 1
    full = [costs.get(window, 0) for window in range(first, last + 1)]
    return {
        "syncs": syncs,
        "rate_limit_share": share,
        "rows_per_sync": each,
        "added": sum(r["added"] for r in results),
        "calls": stats["calls"],
        "rate_limited": stats["rate_limited"],
        "share_429": round(stats["rate_limited"] / max(stats["calls"], 1), 4),
        "windows_all_working": full,
        "use_of_share": [round(cost / allowed, 3) for cost in full],
        "attempts_per_request": [
            round(r["requests"] / max(r["requests"] - r["rate_limited"], 1), 3) for r in results
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10-second windows instead of 60 (same rate)")
    parser.add_argument("--windows", type=int, default=6, help="windows of work for the syncs together")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        first, count, share = int(args.worker[0]), int(args.worker[1]), float(args.worker[2])
        print(json.dumps(worker(first, count, share)))
        return 0
    setup_airflow_home()
    window = 10.0 if args.quick else 60.0
    results: dict[str, Any] = {"quick": args.quick, "machine": f"{os.cpu_count()} cores", "runs": []}
    print(f"== syncs side by side, one team, 600/min (window {window:.0f} s)", flush=True)
    for syncs in (2, 4):
        for share in (1.0, 0.5):
            run = side_by_side(syncs, share, window, args.windows)
            results["runs"].append(run)
            print(
                f"   {syncs} syncs at share {share}: use of the share per window all worked "
                f"{run['use_of_share']}; 429s {run['share_429']:.2%} of {run['calls']} calls; attempts per "
                f"request {run['attempts_per_request']}",
                flush=True,
            )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "shared.json").write_text(json.dumps(results, indent=2))
    print(f"results: {RESULTS / 'shared.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
