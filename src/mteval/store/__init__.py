"""The SQLite run store: runs, completions (the cache), turns and judgments."""

from mteval.store.sqlite import SCHEMA_VERSION, RunInfo, RunStore, StoreSink, store_error

__all__ = ["SCHEMA_VERSION", "RunInfo", "RunStore", "StoreSink", "store_error"]
