"""Triggers of the Salesloft provider (run in Airflow's triggerer)."""
