"""Background work: Dramatiq broker set-up, the task registry, enqueue-after-commit, scheduler."""
