#!/usr/bin/env bash
# make demo: start the Salesloft simulator, migrate a SQLite Airflow db under .demo/, run the example DAGs
# (one add with ids from XCom; the nightly warehouse-to-cadence sync from SQLite) with `airflow dags test`,
# and print what their downstream tasks received.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:?run through make demo}
PY="$VENV/bin/python"
DEMO=.demo
rm -rf "$DEMO" && mkdir -p "$DEMO"

export AIRFLOW_HOME="$PWD/$DEMO/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$PWD/example_dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db"
export AIRFLOW__CORE__FERNET_KEY="n3hBn-lX8nUw4hdAvLZyBqxqsvA1HQXp5ZuOTvzXzjc="
mkdir -p "$AIRFLOW_HOME"

echo "== starting the Salesloft simulator (loopback, 20-50 ms latency)"
"$PY" -m airflow_provider_salesloft.testing --port 0 --latency-ms 20 50 --people 300 >"$DEMO/simulator.out" 2>"$DEMO/simulator.err" &
SIM_PID=$!
trap 'kill $SIM_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "Ctrl-C to stop" "$DEMO/simulator.out" 2>/dev/null && break; sleep 0.1; done
SIM_URL=$(sed -n 's/^Salesloft simulator listening on //p' "$DEMO/simulator.out")
# The simulator prints a ready-to-paste `export AIRFLOW_CONN_SALESLOFT_DEFAULT='...'` line: take its value.
export AIRFLOW_CONN_SALESLOFT_DEFAULT=$(sed -n "s/^export AIRFLOW_CONN_SALESLOFT_DEFAULT='\(.*\)'$/\1/p" "$DEMO/simulator.out")
echo "   simulator at $SIM_URL"

export AIRFLOW_CONN_SALESLOFT_LEADS_DB="{\"conn_type\": \"sqlite\", \"host\": \"$PWD/$DEMO/leads.db\"}"

echo "== migrating the Airflow metadata db ($AIRFLOW__DATABASE__SQL_ALCHEMY_CONN)"
"$VENV/bin/airflow" db migrate >"$DEMO/db-migrate.log" 2>&1
"$VENV/bin/airflow" pools set salesloft_api 1 "one Salesloft team's rate-limit budget" >>"$DEMO/db-migrate.log" 2>&1

run_dag() {
  local dag_id=$1 marker=$2
  echo "== airflow dags test $dag_id (log: $DEMO/$dag_id.log)"
  if ! "$VENV/bin/airflow" dags test "$dag_id" >"$DEMO/$dag_id.log" 2>&1; then
    tail -n 40 "$DEMO/$dag_id.log"; echo "demo: $dag_id failed" >&2; exit 1
  fi
  if ! grep -h "$marker" "$DEMO/$dag_id.log" | sed 's/^.*\('"$marker"'\)/   downstream task received: \1/' | sort -u | grep .; then
    tail -n 40 "$DEMO/$dag_id.log"; echo "demo: $dag_id did not report" >&2; exit 1
  fi
}

run_dag example_salesloft_cadence_membership "MEMBERSHIP id="
run_dag example_salesloft_sync "SYNC SUMMARY"
echo "== simulator counters"
"$PY" - "$SIM_URL" <<'PYEOF'
import json, sys, urllib.request
stats = json.load(urllib.request.urlopen(sys.argv[1] + "/_sim/stats"))
print("   api calls:", stats["calls"], "| memberships created:", stats["memberships_created"],
      "| 429s:", stats["rate_limited"])
PYEOF
