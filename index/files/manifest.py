"""The manifest: what an index directory holds, written last so it always describes a finished save."""

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from index.files.atomic import write_bytes_atomically
from index.errors import IncompatibleStore

FORMAT_VERSION = 10
# Versions whose manifest and vectors this version reads as they are: 5 kept BM25 in the database,
# 6 a speech table without kinds, 7 no entities, 8 no newsroom fields and 9 no dates in the speech
# rows, which the database upgrade (index.files.checks) changes in place.
READABLE_VERSIONS = (5, 6, 7, 8, 9, 10)
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    model: str
    dimension: int
    faiss_index: str
    generation: int
    articles: int
    chunks: int
    vectors: int
    format_version: int = FORMAT_VERSION


def read_manifest(directory: Path) -> Manifest | None:
    path = directory / MANIFEST_FILE
    if not path.exists():
        return None
    try:
        manifest = Manifest(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as error:
        raise IncompatibleStore(f"{path} is not a manifest this version can read: {error}") from None
    wrong = [f.name for f in fields(Manifest) if type(getattr(manifest, f.name)) is not f.type]
    if wrong:
        raise IncompatibleStore(f"{path} is not a manifest this version can read: wrong type for {', '.join(wrong)}")
    if manifest.format_version not in READABLE_VERSIONS:
        raise IncompatibleStore(
            f"{path} has format version {manifest.format_version}; this version reads {FORMAT_VERSION}"
        )
    return manifest


def write_manifest(directory: Path, manifest: Manifest) -> None:
    data = json.dumps(asdict(manifest), indent=2, sort_keys=True) + "\n"
    write_bytes_atomically(directory / MANIFEST_FILE, data.encode("utf-8"))
