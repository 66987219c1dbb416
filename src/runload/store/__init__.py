"""The embedded store: one SQLite file through the standard library, split by concern.

* :mod:`~runload.store.protocol` — what the service layer and the import need from any store
  (a contract another backend could implement);
* :mod:`~runload.store.sqlite` — the SQLite store: athletes, the activity log and its corrections,
  shoes, gaps, the import log and the change log;
* :mod:`~runload.store.schema` — the schema as ordered, named migrations;
* :mod:`~runload.store.dedup` — the dedup policy (no SQL): when two records are one activity;
* :mod:`~runload.store.rows` — activities to stored values and back, read defensively;
* :mod:`~runload.store.connect` — finding, recognising and opening a store file.

Default location: ``$RUNLOAD_DB``, else ``$XDG_DATA_HOME/runload/runload.db``
(``~/.local/share/runload/runload.db``); the CLI's ``--db PATH`` wins over both. A store written by a
newer runload is refused, never touched. Writes run in WAL mode; each imported file is stored whole or
not at all (its own ``BEGIN IMMEDIATE`` transaction, or a savepoint when an import stores a few files
under one commit, :meth:`Store.batch`), so readers never see half of one, a stop (Ctrl-C, SIGTERM) keeps
the files stored before it, and a crash loses at most the few files of the commit in flight, which the
next import reads again.
"""

from runload.store.connect import _db_error_sentence, conn_close_quietly, default_db_path  # noqa: F401
from runload.store.dedup import _same_activity  # noqa: F401
from runload.store.protocol import StoreProtocol  # noqa: F401
from runload.store.rows import _READ_LIMITS  # noqa: F401
from runload.store.schema import MIGRATIONS, SCHEMA_VERSION  # noqa: F401
from runload.store.sqlite import Store, StoredRef, StoreResult  # noqa: F401

__all__ = ["Store", "StoreProtocol", "StoreResult", "StoredRef", "default_db_path", "MIGRATIONS", "SCHEMA_VERSION"]
