"""The storage layer's failures as the domain's errors: an engine failing mid-run (disk full, database
server gone) is StorageUnavailable, a clear 503 or CLI message rather than a traceback; another
process holding the index for writing is IndexBusy."""

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from index.errors import StoreLocked, engine_errors
from qa.errors import IndexBusy, StorageUnavailable


def storage_failures_as_errors(method):
    @functools.wraps(method)
    def guarded(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except engine_errors() as error:
            raise StorageUnavailable(f"the index storage failed: {error}") from None

    return guarded


@contextmanager
def busy_as_error() -> Iterator[None]:
    try:
        yield
    except StoreLocked as error:
        raise IndexBusy(str(error)) from None
