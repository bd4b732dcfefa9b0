"""Crash-safe file replacement: write beside the target, fsync, rename, fsync the folder."""

import os
from collections.abc import Callable
from pathlib import Path


def replace_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp_path)`, then move the finished file over `target` in one step."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        _fsync_file(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(target.parent)


def write_bytes_atomically(target: Path, data: bytes) -> None:
    replace_atomically(target, lambda tmp: tmp.write_bytes(data))


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
