"""What the deploy tests meet on some Airflow lines because of Airflow itself, in one place: each entry names
the lines it affects and what Airflow does there (``make test-deploy-lines`` runs the deploy tests on every
Airflow 3 line; ``docs/index.md`` says what each line was shown to do).
"""

from __future__ import annotations

from importlib.metadata import version

#: The installed Airflow's (major, minor): the one the deployment runs.
AIRFLOW_MINOR = tuple(int(part) for part in version("apache-airflow").split(".")[:2])

#: Airflow 3.0 only: the scheduler leaves structlog at its defaults (every level, to stdout), so the Task SDK
#: supervisor of each LocalExecutor task logs every request the task sends with its body, at debug, on the
#: scheduler's output ("Received message from task runner" ... ``PutVariable(key=..., value=...)``): each
#: token-store write, the OAuth refresh token included (airflow/sdk/execution_time/supervisor.py,
#: ``_handle_request``; only ``MaskSecret`` bodies are left out). 3.1+ log at ``[logging] logging_level``.
SUPERVISOR_LOGS_REQUEST_BODIES = AIRFLOW_MINOR == (3, 0)
SUPERVISOR_LEAK = (
    "Airflow 3.0's scheduler prints the Task SDK supervisor's debug lines, every Variable a task writes "
    "included (the OAuth token store's refresh token), on its output; fixed in 3.1"
)


class AirflowLeak(AssertionError):
    """A secret that Airflow itself wrote, and only Airflow (the xfail of the test that raises it names the
    bug): a secret our code let out fails the test with a plain assertion instead, on every line."""


def airflow_leak(place: str, line: str) -> bool:
    """Whether a line holding a secret is Airflow's own leak on this line (see ``SUPERVISOR_LEAK``)."""
    return (
        SUPERVISOR_LOGS_REQUEST_BODIES
        and place == "scheduler.out"
        and "Received message from task runner" in line
        and "PutVariable" in line
    )


def leaks(found: dict[str, list[str]]) -> dict[str, list[str]]:
    """``found`` (:meth:`Deployment.where_written`) without Airflow's own leaks on this line."""
    ours = {
        place: [line for line in lines if not airflow_leak(place, line)] for place, lines in found.items()
    }
    return {place: kept for place, kept in ours.items() if kept}
