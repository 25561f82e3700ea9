"""Dead letters: work the queue gave up on, kept whole so a person can replay or discard it."""
