"""techreg: registry and audit system for technology contracts (技术合同登记与稽查)."""

__version__ = "0.1.0"
