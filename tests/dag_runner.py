"""Run a DAG from the session's DAGs folder with ``dag.test()`` and report task states."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from support import DAGS_FOLDER


def load_dag(dag_id: str, file_stem: str | None = None) -> Any:
    """Import the DAG file from the session's DAGs folder and return the DAG named ``dag_id``."""
    stem = file_stem or dag_id
    path = DAGS_FOLDER / f"{stem}.py"
    spec = importlib.util.spec_from_file_location(f"dags_{stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for value in vars(module).values():
        if getattr(value, "dag_id", None) == dag_id and hasattr(value, "test"):
            return value
    raise LookupError(f"no DAG {dag_id} in {path}")


def run_dag(dag_id: str, conf: dict[str, Any], file_stem: str | None = None) -> dict[str, Any]:
    """Run ``dag_id`` once; return ``{"state", "tasks": {(task_id, map_index): state}, "run_id"}``."""
    dag = load_dag(dag_id, file_stem)
    run = dag.test(run_conf=conf)
    tasks = {(ti.task_id, ti.map_index): _text(ti.state) for ti in run.get_task_instances()}
    return {"state": _text(run.state), "tasks": tasks, "run_id": run.run_id}


def received(path: Path) -> Any:
    """What the DAG's downstream task wrote."""
    return json.loads(path.read_text())


def _text(state: Any) -> str:
    return str(getattr(state, "value", state))


def lead(person_id: Any = 1001, cadence_id: Any = 10, **optional: Any) -> dict[str, Any]:
    """What the single-add test DAGs' upstream task returns: every id key present."""
    return {
        "person_id": person_id,
        "cadence_id": cadence_id,
        "user_id": None,
        "step_id": None,
        "salesloft_task_id": None,
        **optional,
    }


def single_conf(out: Path, **ids: Any) -> dict[str, Any]:
    """``dag_run.conf`` for the single-add test DAGs."""
    return {"lead": lead(**ids), "out": str(out)}
