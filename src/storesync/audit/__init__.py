"""The audit log: every state-changing action, who did it, on what, before and after."""
