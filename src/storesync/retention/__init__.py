"""Retention: records kept only for a while (finished webhook events, rejected-delivery samples,
finished job records) are pruned daily after `STORESYNC_RETENTION_DAYS`; the ledger and orders
never are."""
