"""Apache Airflow provider for Salesloft."""

__version__ = "0.7.0"  # the one place the version is written (pyproject reads it)
