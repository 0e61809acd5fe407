"""On-call: the roster, escalation policies, and the outbox that delivers pages and publications."""
