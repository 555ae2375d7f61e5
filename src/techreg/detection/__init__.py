"""Anomaly detection: pure functions over column arrays in, flags out."""
