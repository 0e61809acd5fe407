"""Checks a reviewer would make of the content, which need the lifecycle machine or the matcher: above both, below the CLI."""
