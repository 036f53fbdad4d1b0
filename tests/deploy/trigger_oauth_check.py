"""The deferrable upsert with an OAuth connection on a real triggerer, while Salesloft revokes access tokens
every few calls (issue #23): the trigger's polls refresh the token and rotate the refresh token through the
token store (a Variable read and written through the Task SDK in the triggerer); the trigger's serialized
arguments name the connection only, so no secret reaches the trigger table or a log.

Called from ``test_deploy.py`` (it needs that module's running deployment); not collected on its own.
"""

from __future__ import annotations

import time

from airflow_lines import leaks
from deployment import Deployment

from airflow_provider_salesloft.hooks.token_seal import open_sealed
from airflow_provider_salesloft.hooks.token_store import store_key
from airflow_provider_salesloft.testing import SalesloftSimulator

ROWS = 200
REVOKE_EVERY_CALLS = 3
#: Polls the trigger must make while the task is deferred before the job may finish: two access tokens'
#: lifetimes, so at least one refresh (and refresh-token rotation) has to happen in the triggerer.
POLLS_WHILE_DEFERRED = 2 * REVOKE_EVERY_CALLS
HELD = 1e-6  # records a second: the job makes no progress until the test lets it finish
DONE_AT_ONCE = 500.0


def check_deferred_oauth_upsert(deployment: Deployment, sim: SalesloftSimulator) -> None:
    """Run ``deploy_upsert_oauth`` under revocations; check what the trigger did while the task waited.

    The job is held (no record processed) until the trigger has polled it ``POLLS_WHILE_DEFERRED`` times
    while the task is deferred, then let finish: the count of the triggerer's polls depends on what the
    triggerer did, not on how soon it picked the trigger up (3.2.2 picked it up seconds late, once a
    10-second job was nearly done).
    """
    rows = [{"email": f"oauth-deferred{n}@example.com", "first_name": f"OAuth {n}"} for n in range(ROWS)]
    sim.set_faults(bulk_job_records_per_s=HELD, expire_tokens_every_calls=REVOKE_EVERY_CALLS)
    seen: dict[str, float] = {}
    try:
        deployment.trigger("deploy_upsert_oauth", "upsert-oauth-1", {"rows": rows})
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            state = deployment.task_states("deploy_upsert_oauth", "upsert-oauth-1").get(("upsert", -1))
            # The worker holds no slot while deferred: only the triggerer talks to Salesloft meanwhile.
            stats = sim.stats.as_dict()
            tokens, polls = stats["tokens_issued"], stats["calls_by_route"].get("GET /v2/bulk_jobs/:id", 0)
            if state == "deferred" and "released_at" not in seen:
                if "deferred_at" not in seen:
                    seen.update(deferred_at=time.monotonic(), tokens_at_start=tokens, polls_at_start=polls)
                if polls > seen["polls_at_start"]:
                    seen.setdefault("first_poll_after_s", time.monotonic() - seen["deferred_at"])
                if polls - seen["polls_at_start"] >= POLLS_WHILE_DEFERRED:
                    seen.update(tokens_at_release=tokens, polls_at_release=polls)
                    seen["released_at"] = time.monotonic()
                    sim.set_faults(bulk_job_records_per_s=DONE_AT_ONCE)
            if state in ("success", "failed"):
                break
            time.sleep(0.5)
    finally:
        sim.set_faults(bulk_job_records_per_s=DONE_AT_ONCE, expire_tokens_every_calls=0)
    print(f"deferred OAuth upsert: {seen}")  # first_poll_after_s: how late the triggerer's first poll came

    # While deferred (the task out of every worker), the triggerer polled the held job again and again,
    # and refreshed the revoked access token itself: a token issued in that span came from the triggerer.
    assert "released_at" in seen, f"the triggerer did not poll {POLLS_WHILE_DEFERRED} times: {seen}"
    assert seen["tokens_at_release"] - seen["tokens_at_start"] >= 1, seen
    assert deployment.wait_for_run("deploy_upsert_oauth", "upsert-oauth-1") == "success"
    (summary,) = deployment.xcom("deploy_upsert_oauth", "upsert-oauth-1", "upsert")
    assert (summary["created"], summary["waited_in"], summary["method"]) == (ROWS, "triggerer", "bulk")
    emails = [str(p["email_address"]) for p in sim.state.people.values()]
    assert all(emails.count(f"oauth-deferred{n}@example.com") == 1 for n in range(ROWS))

    # The chain is intact: one live refresh token, the one in the store.
    store, (secret,) = store_key("salesloft_oauth"), sim.oauth.oauth_clients.values()  # sealed under it
    stored = open_sealed(deployment.variable(store) or "", client_secret=secret, context=store)
    assert list(sim.refresh_tokens) == [stored["refresh_token"]]
    # Nothing the trigger ran with or logged holds a token or the client secret (Airflow 3.0's scheduler
    # prints the task's token-store writes itself: airflow_lines.SUPERVISOR_LEAK, shown by the xfail of
    # test_no_secret_in_any_log_or_table there; nothing else may hold one).
    found = leaks(deployment.where_written([*sim.issued_secrets, "deploy-client-secret"]))
    assert not found, {place: lines[:3] for place, lines in found.items()}
