"""crisis: an e-reputation incident playbook engine."""

__version__ = "0.1.0"
