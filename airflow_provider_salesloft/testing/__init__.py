"""Test helpers: an offline Salesloft simulator to run DAGs against, with no Salesloft account.

>>> from airflow_provider_salesloft.testing import SalesloftSimulator
>>> with SalesloftSimulator(latency_ms=(20, 50)) as sim:
...     os.environ["AIRFLOW_CONN_SALESLOFT_DEFAULT"] = sim.connection_uri_json()
...     dag.test()

Also a pytest fixture, ``salesloft_simulator`` (see :mod:`airflow_provider_salesloft.testing.pytest_plugin`),
and a command line: ``python -m airflow_provider_salesloft.testing --port 8080``.
"""

from airflow_provider_salesloft.testing.simulator import (
    DEFAULT_API_KEY,
    Faults,
    SalesloftSimulator,
    SalesloftState,
    Stats,
)

__all__ = ["DEFAULT_API_KEY", "Faults", "SalesloftSimulator", "SalesloftState", "Stats"]
