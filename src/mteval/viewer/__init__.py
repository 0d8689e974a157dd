"""``mteval view``: a local web app to browse runs, read dialogues and compare runs.

It reads the run store read-only (while a run may be writing it) and serves
pages rendered on the server with every asset shipped in the package.
"""

from mteval.viewer.app import LOCAL_NAMES, PAGE_SIZE, ViewerConfig, create_app
from mteval.viewer.data import References, RunTables, TableCache, headlines
from mteval.viewer.server import LOCAL_HOSTS, bind, open_store, serve

__all__ = [
    "LOCAL_HOSTS",
    "LOCAL_NAMES",
    "PAGE_SIZE",
    "References",
    "RunTables",
    "TableCache",
    "ViewerConfig",
    "bind",
    "create_app",
    "headlines",
    "open_store",
    "serve",
]
