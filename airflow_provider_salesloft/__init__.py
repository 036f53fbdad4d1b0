"""Apache Airflow provider for Salesloft."""

__version__ = "0.1.0"
