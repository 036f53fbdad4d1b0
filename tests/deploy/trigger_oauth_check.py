"""The deferrable upsert with an OAuth connection on a real triggerer, while Salesloft revokes access tokens
every few calls (issue #23): the trigger's polls refresh the token and rotate the refresh token through the
token store (a Variable read and written through the Task SDK in the triggerer); the trigger's serialized
arguments name the connection only, so no secret reaches the trigger table or a log.

Called from ``test_deploy.py`` (it needs that module's running deployment); not collected on its own.
"""

from __future__ import annotations

import json
import time

from deployment import Deployment

from airflow_provider_salesloft.testing import SalesloftSimulator

ROWS = 200
RECORDS_PER_S = 20  # a 10-second job: several polls, several revocations, all in the triggerer
REVOKE_EVERY_CALLS = 3


def check_deferred_oauth_upsert(deployment: Deployment, sim: SalesloftSimulator) -> None:
    """Run ``deploy_upsert_oauth`` under revocations; check what the trigger did while the task waited."""
    rows = [{"email": f"oauth-deferred{n}@example.com", "first_name": f"OAuth {n}"} for n in range(ROWS)]
    sim.set_faults(bulk_job_records_per_s=RECORDS_PER_S, expire_tokens_every_calls=REVOKE_EVERY_CALLS)
    during_deferral: dict[str, int] = {}
    try:
        deployment.trigger("deploy_upsert_oauth", "upsert-oauth-1", {"rows": rows})
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            state = deployment.task_states("deploy_upsert_oauth", "upsert-oauth-1").get(("upsert", -1))
            # The worker holds no slot while deferred: only the triggerer talks to Salesloft meanwhile.
            stats = sim.stats.as_dict()
            seen = (stats["tokens_issued"], stats["calls_by_route"].get("GET /v2/bulk_jobs/:id", 0))
            if state == "deferred":
                during_deferral.setdefault("tokens_at_start", seen[0])
                during_deferral.setdefault("polls_at_start", seen[1])
                during_deferral.update(tokens_at_end=seen[0], polls_at_end=seen[1])
            if state in ("success", "failed"):
                break
            time.sleep(0.5)
    finally:
        sim.set_faults(bulk_job_records_per_s=500, expire_tokens_every_calls=0)

    assert deployment.wait_for_run("deploy_upsert_oauth", "upsert-oauth-1") == "success"
    (summary,) = deployment.xcom("deploy_upsert_oauth", "upsert-oauth-1", "upsert")
    assert (summary["created"], summary["waited_in"], summary["method"]) == (ROWS, "triggerer", "bulk")
    emails = [str(p["email_address"]) for p in sim.state.people.values()]
    assert all(emails.count(f"oauth-deferred{n}@example.com") == 1 for n in range(ROWS))

    assert during_deferral, "the task was never seen deferred"
    polls = during_deferral["polls_at_end"] - during_deferral["polls_at_start"]
    refreshed = during_deferral["tokens_at_end"] - during_deferral["tokens_at_start"]
    assert polls >= REVOKE_EVERY_CALLS and refreshed >= 1, during_deferral  # refreshed in the triggerer

    # The chain is intact: one live refresh token, the one in the store.
    stored = json.loads(deployment.variable("salesloft_oauth_token__salesloft_oauth") or "{}")
    assert list(sim.refresh_tokens) == [stored["refresh_token"]]
    # Nothing the trigger ran with or logged holds a token or the client secret.
    written = deployment.everything_written()
    for secret in [*sim.issued_secrets, "deploy-client-secret"]:
        assert secret not in written
