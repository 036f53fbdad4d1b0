"""Salesloft hooks."""
