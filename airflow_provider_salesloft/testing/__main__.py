"""Command line: ``python -m airflow_provider_salesloft.testing --port 8080 [--latency-ms 20 50] ...``."""

from __future__ import annotations

import argparse
import sys

from airflow_provider_salesloft.testing.simulator import DEFAULT_API_KEY, SalesloftSimulator


def main(argv: list[str] | None = None) -> int:
    """Serve a simulator until interrupted; print its URL and the matching Airflow connection JSON."""
    parser = argparse.ArgumentParser(prog="python -m airflow_provider_salesloft.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow --host to be a non-loopback address (exposes the unauthenticated /_sim admin endpoints)",
    )
    parser.add_argument("--port", type=int, default=8080, help="port to bind, 0 for any (default 8080)")
    parser.add_argument("--people", type=int, default=200, help="people to seed (default 200)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="API key to accept")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault dice")
    parser.add_argument("--latency-ms", type=float, nargs=2, default=(0.0, 0.0), metavar=("MIN", "MAX"))
    parser.add_argument("--rate-limit", type=int, default=600, help="cost per window (default 600)")
    parser.add_argument("--rate-window-s", type=float, default=60.0, help="window length (default 60)")
    parser.add_argument(
        "--rate-window-aligned",
        action="store_true",
        help="windows start on whole multiples of the window in epoch time (calendar minutes)",
    )
    parser.add_argument("--error-503-share", type=float, default=0.0)
    parser.add_argument("--drop-share", type=float, default=0.0)
    parser.add_argument("--lost-response-share", type=float, default=0.0)
    parser.add_argument("--already-on-cadence", choices=("422", "200"), default="422")
    parser.add_argument(
        "--bulk-job-records-per-s",
        type=float,
        default=500.0,
        help="bulk job speed (default 500/s; 0: at once)",
    )
    parser.add_argument("--oauth-client", nargs=2, action="append", default=[], metavar=("ID", "SECRET"))
    args = parser.parse_args(argv)
    try:
        sim = SalesloftSimulator(
            args.port,
            host=args.host,
            allow_non_loopback=args.allow_non_loopback,
            people=args.people,
            api_keys=(args.api_key,),
            seed=args.seed,
            oauth_clients=dict(args.oauth_client),
            latency_ms=tuple(args.latency_ms),
            rate_limit=args.rate_limit,
            rate_window_s=args.rate_window_s,
            rate_window_aligned=args.rate_window_aligned,
            error_503_share=args.error_503_share,
            drop_share=args.drop_share,
            lost_response_share=args.lost_response_share,
            already_on_cadence=args.already_on_cadence,
            bulk_job_records_per_s=args.bulk_job_records_per_s,
        )
    except ValueError as error:
        parser.error(str(error))
    print(f"Salesloft simulator listening on {sim.url}", flush=True)
    if args.allow_non_loopback:
        print("WARNING: bound beyond loopback: anyone who reaches this address can steer it through /_sim/")
    print(f"Seeded: {args.people} people (ids 1001..., person<n>@example.com), users 1-3, cadences 10 and 11")
    print(
        "(team), 12 (personal), 13 (archived); rate limit", args.rate_limit, "per", args.rate_window_s, "s."
    )
    print("\nPoint Airflow at it (API key connection):")
    print(f"export AIRFLOW_CONN_SALESLOFT_DEFAULT='{sim.connection_uri_json(args.api_key)}'")
    for client_id, client_secret in args.oauth_client:
        refresh_token = sim.grant_refresh_token(client_id)
        print(f"\nOAuth client {client_id}: first refresh token {refresh_token}; connection:")
        print(
            "export AIRFLOW_CONN_SALESLOFT_OAUTH="
            f"'{sim.oauth_connection_json(client_id, client_secret, refresh_token)}'"
        )
    print("\nCtrl-C to stop.", flush=True)
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
