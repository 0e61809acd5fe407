"""Incidents: the lifecycle machine, its rows, and the use cases that change them."""
