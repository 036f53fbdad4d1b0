"""Apache Airflow provider for Salesloft."""

__version__ = "0.3.1"  # the one place the version is written (pyproject reads it)
