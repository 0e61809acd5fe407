"""On-call: the roster (and the one applied to the database, who may act, who you are), escalation policies, paging."""
