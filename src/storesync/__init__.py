"""StoreSync: one catalog, one stock count, every marketplace in step."""

__version__ = "0.1.0"
