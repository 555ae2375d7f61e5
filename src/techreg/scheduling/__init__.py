"""Scheduled jobs that run exactly once across replicas."""
