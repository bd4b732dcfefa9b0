"""A store's catalog kept in memory at the database's generation (index.ports.Catalogs): loaded from
its file in the index folder and caught up from the change log, or built from the database; saved
now and then (numpy arrays, written atomically, never unpickled)."""

import logging
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.files.atomic import replace_atomically
from index.catalog.catalog import Catalog, CatalogArticle
from index.catalog.terms import searched_words
from index.records import ChunkFilter, ChunkRef, IdSet

CATALOG_FILE = "catalog.npz"
# The file is rewritten once this share of the chunks changed since it was saved: it is large, and
# opening replays the change log since then anyway.
RESAVE_SHARE = 0.05
RESAVE_CHUNKS = 2_000
# The catalog is rebuilt once this share of its slots are removed chunks.
MAX_DEAD_SLOTS = 0.25
# Articles read per query when the catalog is built from the database.
REBUILD_BATCH = 500
# ... and at least every this many generations, so that opening never needs more change log than is kept.
RESAVE_GENERATIONS = 500

log = logging.getLogger(__name__)


class CatalogKeeper:
    """Callers hold their store's write lock around every method but the searches' (below `save_if_due`)."""

    remote = False

    def __init__(self, directory: Path, database) -> None:
        self._path = directory / CATALOG_FILE
        self._db = database
        self.catalog = Catalog()
        self._unsaved = 0
        self._saved_generation = 0

    @property
    def generation(self) -> int:
        return self.catalog.generation

    def load(self) -> None:
        """The saved catalog caught up to the database, if it can be; else one built from the database."""
        with self._db.snapshot():
            generation = self._db.generation()
            _, chunks = self._db.counts()
            saved = _read(self._path)
            if saved is not None and saved.generation <= generation:
                self.catalog, self._unsaved, self._saved_generation = saved, 0, saved.generation
                if self.catch_up(generation) and self.catalog.chunks == chunks:
                    return
            if chunks:
                log.info("building the catalog of %s from its database", self._path.parent)
            self.rebuild()

    def update(self, removed: Sequence[int], added: Sequence[int], generation: int,
               articles: Sequence[CatalogArticle] | None = None) -> None:
        """Applies one committed change; `articles` are the added chunks' entries when the caller has them."""
        if self.catalog.generation >= generation:
            return  # a file saved after the caller's vectors already holds this change
        self.catalog.remove(removed)
        if articles is None:
            articles = self._db.catalog_articles(self._db.articles_of_chunks(added))
        self.catalog.add(articles)
        self.catalog.generation = generation
        self._unsaved += len(removed) + len(added)
        if self.catalog.dead_share > MAX_DEAD_SLOTS:
            self.rebuild()

    def catch_up(self, generation: int) -> bool:
        """Replays the change log up to `generation`; False (and nothing done) when it does not reach back."""
        if self.catalog.generation >= generation:
            return True
        changes = self._db.changes_since(self.catalog.generation)
        if changes is None:
            return False
        removed, added = changes
        self.update(removed.tolist(), added.tolist(), generation)
        return True

    def rebuild(self) -> None:
        with self._db.snapshot():
            catalog = Catalog(self._db.generation())
            ids = self._db.all_article_ids()
            for start in range(0, len(ids), REBUILD_BATCH):
                catalog.add(self._db.catalog_articles(ids[start : start + REBUILD_BATCH]))
        catalog.compact()
        self.catalog = catalog
        self._unsaved = max(1, catalog.chunks)

    @property
    def save_due(self) -> bool:
        enough = min(max(RESAVE_CHUNKS, RESAVE_SHARE * self.catalog.chunks), max(1, self.catalog.chunks))
        return self._unsaved >= enough or (
            self._unsaved > 0 and self.catalog.generation - self._saved_generation >= RESAVE_GENERATIONS
        )

    def save_if_due(self) -> None:
        if not self.save_due:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            _write(self._path, self.catalog)
        except OSError as error:  # only a head start for the next opening: the database is the truth
            log.warning("could not save the catalog to %s: %s", self._path, error)
            return
        self._unsaved, self._saved_generation = 0, self.catalog.generation

    def nearest_allowed(self, chunk_filter: ChunkFilter) -> IdSet | None:
        return self.catalog.allowed(chunk_filter).ids

    def best_chunks(self, terms: Sequence[str], k: int, chunk_filter: ChunkFilter,
                    title_weight: float) -> list[tuple[int, float]]:
        words = searched_words(terms)
        if not words:
            return []
        return self.catalog.best_chunks(words, k, self.catalog.allowed(chunk_filter).chunks, title_weight)

    def best_articles(self, terms: Sequence[str], k: int, chunk_filter: ChunkFilter, title_weight: float) -> list[str]:
        words = searched_words(terms)
        if not words:
            return []
        return self.catalog.best_articles(words, k, self.catalog.allowed(chunk_filter).articles, title_weight)

    def refs(self, chunk_ids: Sequence[int]) -> list[ChunkRef]:
        return self.catalog.refs(chunk_ids)

    def leads(self, article_ids: Sequence[str]) -> list[ChunkRef]:
        return self.catalog.leads(article_ids)

    def chunk_counts(self, article_ids: Sequence[str]) -> dict[str, int]:
        return self.catalog.chunk_counts(article_ids)


def _write(path: Path, catalog: Catalog) -> None:
    state = catalog.state()

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as file:  # a file object, so numpy does not add its own suffix
            np.savez(file, **state)

    replace_atomically(path, write)


def _read(path: Path) -> Catalog | None:
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            return Catalog.restore({name: saved[name] for name in saved.files})
    except (OSError, EOFError, ValueError, KeyError, IndexError, zipfile.BadZipFile) as error:
        log.warning("%s cannot be read (%s); rebuilding it", path, error)
        return None
