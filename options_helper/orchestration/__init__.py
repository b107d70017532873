"""Dagster orchestration (the `dagster` extra). Import options_helper.orchestration.definitions."""
