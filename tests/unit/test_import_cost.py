"""DAG-parse cost: importing the operators loads the provider's light modules only (no HTTP stack, no
retry library, no simulator), checked by module names in a fresh interpreter, not by timing."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("requests", "urllib3", "requests_toolbelt", "tenacity", "wtforms", "openlineage")
PROBE = """
import json, sys
import airflow
from airflow.providers.common.compat.sdk import BaseOperator
before = set(sys.modules)
import airflow_provider_salesloft.operators
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_importing_the_operators_stays_light() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert "airflow_provider_salesloft.operators.sync.operator" in loaded  # the probe did import them
    assert not [name for name in loaded if name.split(".")[0] in HEAVY]
    assert "airflow_provider_salesloft.hooks.salesloft" not in loaded  # the hook comes with execute()
    assert not [name for name in loaded if name.startswith("airflow_provider_salesloft.testing")]
    # OpenLineage (an optional extra) only when its listener asks for the lineage, never at DAG parse
    assert not [name for name in loaded if name.startswith(("airflow.providers.openlineage", "attr"))]
    assert "airflow_provider_salesloft.lineage" not in loaded
