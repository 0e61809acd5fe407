"""Replies and notices: channels and their rules, templates, and a reply's life from draft to published."""
