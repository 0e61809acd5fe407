"""The one outbox: messages written with their cause, delivered and retried by notifiers (console, SMTP, webhook)."""
