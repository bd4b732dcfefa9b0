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
