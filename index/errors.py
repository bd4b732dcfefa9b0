"""Errors raised by the storage layer; the domain turns them into its own."""


class StoreError(Exception):
    pass


class StoreNotFound(StoreError):
    pass


class IncompatibleStore(StoreError):
    pass


class StoreLocked(StoreError):
    pass


class InvalidCursor(StoreError):
    pass


class StoreUnavailable(StoreError):
    """A database server the store needs cannot be reached."""


def engine_errors() -> tuple[type[BaseException], ...]:
    """What the storage engines in use raise when they fail underneath a store (a disk that is full,
    a database server that went away): the domain reports these as storage being unavailable."""
    import sqlite3
    import sys

    errors: list[type[BaseException]] = [sqlite3.Error]
    if "psycopg" in sys.modules:
        errors.append(sys.modules["psycopg"].Error)
    if "pymilvus" in sys.modules:
        from pymilvus.exceptions import MilvusException

        errors.append(MilvusException)
    return tuple(errors)
