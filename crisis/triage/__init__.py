"""Triage: mention streams in, incidents out (readers, folding, matching, spikes, ingest)."""
