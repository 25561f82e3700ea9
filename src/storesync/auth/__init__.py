"""Who may do what: users, API keys, roles, dashboard sessions, and the per-route policy."""
