"""Playbooks: one YAML file per incident kind, loaded into frozen, typed objects."""
