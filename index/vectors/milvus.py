"""The chunk vectors in a Milvus collection, shared by every replica, through pymilvus's MilvusClient.

The database stays the truth. A write commits there first (with the generation and the change log),
then applies the same change to Milvus and records in the database the generation Milvus has
reached. A write that dies in between leaves Milvus behind, never ahead; the next write session (on
any replica) replays the change log into Milvus first. Milvus upserts and deletes by chunk id, so a
replayed change that had already reached it is harmless.

Each vector carries the fields the filters need (article id, source, published time, story, and the
newsroom's section, tags, language, visibility, update time and embargo), so a filter is an
expression Milvus applies inside the search. A collection made before the newsroom's fields existed
is made again from the database when a replica opens it. Where the server has full-text search
(Milvus 2.5+, Milvus Lite 3), the chunk text is stored too and searched with Milvus's BM25, and a
second collection holds each whole article (keyed by its first chunk's id, with the same fields) for
BM25 over articles: then a replica keeps no catalog (index.catalog.engines).
A replica reads what any replica wrote before it without Milvus's strong consistency, which waits
for the server's next time tick (up to 200 ms) on every read: the writer records in the database,
beside the generation Milvus has reached, the Milvus timestamp of its last write there, and a reader
asks Milvus for what that timestamp guarantees. Only a read just after a write waits.
"""

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from index.ports import Database
from index.records import UNDATED, ChunkFilter, IdSet, Newsroom  # UNDATED: Milvus 2.3 has no nullable fields

log = logging.getLogger(__name__)

# Milvus's longest VARCHAR, in bytes of UTF-8: longer texts are searched by their beginning.
TEXT_BYTES = 65_535
# Words as the in-memory catalog counts them (index.catalog.terms): lower-cased, accents removed,
# stemmed (Milvus's English stemmer is Snowball's, the catalog's Porter's), no stop words removed.
# Milvus Lite 3 applies the tokenizer and lower-cases only.
ANALYZER = {"tokenizer": "standard",
            "filter": ["lowercase", "asciifolding", {"type": "stemmer", "language": "english"}]}
# The collection of whole articles beside a collection of chunks with full-text search.
ARTICLES_SUFFIX = "_articles"
# The database's meta keys for the generation Milvus has reached, and the Milvus timestamp (a hybrid
# timestamp: milliseconds << 18 | a logical counter) of the write that reached it.
MILVUS_GENERATION = "milvus_generation"
MILVUS_TIMESTAMP = "milvus_timestamp"
SYNC_BATCH = 1_000
# Fields added with the newsroom's metadata: a collection without them is made again.
NEWSROOM_FIELDS = ("section", "tags", "language", "visibility", "updated_ts", "embargo_ts")
MAX_TAGS, TAG_CHARS = 100, 256
# A condition no chunk meets (ids are positive): what may be read is nothing.
NOTHING = "id < 0"


@dataclass(frozen=True)
class VectorRow:
    id: int
    article_id: str
    source: str | None
    published_ts: int | None
    cluster_id: str | None
    text: str
    vector: np.ndarray
    newsroom: Newsroom = Newsroom()
    headline: str = ""


class MilvusCollection:
    """One Milvus collection of chunk vectors with the fields filters need."""

    def __init__(self, uri: str, token: str | None, collection: str, dimension: int, index_type: str,
                 metric: str = "IP") -> None:
        from pymilvus import MilvusClient

        self._client = MilvusClient(uri=uri, token=token or "")
        self._name = collection
        self._dimension = dimension
        self._metric = metric
        self._index_type = index_type
        # True when the collection was made again here and must be filled from the database; True in
        # `articles_made` when only the collection of whole articles was.
        self.remade = False
        self.articles_made = False
        self._articles = collection + ARTICLES_SUFFIX
        if self._client.has_collection(collection) and not self._has_newsroom_fields():
            log.warning("the Milvus collection %s predates the newsroom's fields; making it again", collection)
            self._client.drop_collection(collection)
            self.remade = True
        if not self._client.has_collection(collection):
            if self._client.has_collection(self._articles):
                self._client.drop_collection(self._articles)
            self._create()
        self.full_text = self._has_bm25()
        if self.full_text and not self._client.has_collection(self._articles):
            log.info("making the Milvus collection %s of whole articles", self._articles)
            self._create_collection(self._articles, full_text=True, dense=False)
            self.articles_made = True
        self._client.load_collection(collection)
        if self.full_text:
            self._client.load_collection(self._articles)

    def close(self) -> None:
        self._client.close()

    def upsert(self, rows: Sequence[VectorRow]) -> None:
        if rows:
            self._client.upsert(self._name, [self._entity(row) for row in rows])

    def upsert_articles(self, rows: Sequence[VectorRow]) -> None:
        """Whole articles, each keyed by its first chunk's id; call only when `full_text`."""
        if rows:
            self._client.upsert(self._articles, [self._entity(row, dense=False) for row in rows])

    def clear_articles(self) -> None:
        """Removes every whole-article row (they are written again with their chunks)."""
        if self.full_text:
            self._client.delete(self._articles, filter="id >= 0")

    def delete(self, ids: Sequence[int]) -> None:
        """Removes these chunks, and the articles keyed by any of them."""
        if len(ids):
            self._client.delete(self._name, ids=[int(i) for i in ids])
            if self.full_text:
                self._client.delete(self._articles, ids=[int(i) for i in ids])

    def last_write(self) -> int:
        """The Milvus timestamp of the last write this client made to the collection, 0 if none.
        pymilvus keeps it from each write's reply for its own session consistency."""
        from pymilvus.client.ts_utils import get_collection_ts

        connection = self._client._get_connection()
        database = self._client._generate_call_context().get_db_name()
        # Timestamps are the server's, one clock for every collection: the later covers both.
        names = (self._name, self._articles) if self.full_text else (self._name,)
        return max(int(get_collection_ts(name, connection.server_address, database) or 0) for name in names)

    def count(self, after: int) -> int:
        result = self._client.query(self._name, filter="", output_fields=["count(*)"], **_reading(after))
        return int(result[0]["count(*)"])

    def search(self, vector: np.ndarray, k: int, chunk_filter: ChunkFilter, ef: int,
               after: int) -> list[tuple[int, float]]:
        """The k nearest within the filter, holding at least every write up to the timestamp `after`."""
        params = {"metric_type": self._metric, "params": {"ef": max(ef, k)} if self._index_type == "HNSW" else {}}
        found = self._client.search(
            self._name, data=[vector.astype(np.float32).tolist()], anns_field="vector", limit=k,
            filter=milvus_filter(chunk_filter), search_params=params, **_reading(after),
        )
        return [(int(hit["id"]), float(hit["distance"])) for hit in found[0]]

    def lexical(self, terms: Sequence[str], k: int, chunk_filter: ChunkFilter,
                after: int) -> list[tuple[int, float]]:
        """Milvus's BM25 over the chunk text; call only when `full_text`."""
        found = self._client.search(
            self._name, data=[" ".join(terms)], anns_field="sparse", limit=k, filter=milvus_filter(chunk_filter),
            search_params={"metric_type": "BM25"}, **_reading(after),
        )
        return [(int(hit["id"]), abs(float(hit["distance"]))) for hit in found[0]]

    def lexical_articles(self, terms: Sequence[str], k: int, chunk_filter: ChunkFilter, after: int) -> list[str]:
        """Ids of the k whole articles Milvus's BM25 ranks best; call only when `full_text`."""
        found = self._client.search(
            self._articles, data=[" ".join(terms)], anns_field="sparse", limit=k, filter=milvus_filter(chunk_filter),
            search_params={"metric_type": "BM25"}, output_fields=["article_id"], **_reading(after),
        )
        return [str(hit["entity"]["article_id"]) for hit in found[0]]

    def _entity(self, row: VectorRow, dense: bool = True) -> dict:
        entity = {
            "id": row.id, "article_id": row.article_id, "source": row.source or "",
            "published_ts": UNDATED if row.published_ts is None else row.published_ts,
            "cluster_id": row.cluster_id or "",
            "section": row.newsroom.section or "", "tags": [t[:TAG_CHARS] for t in row.newsroom.tags[:MAX_TAGS]],
            "language": row.newsroom.language or "", "visibility": row.newsroom.visibility,
            "updated_ts": UNDATED if row.newsroom.updated_ts is None else row.newsroom.updated_ts,
            "embargo_ts": UNDATED if row.newsroom.embargo_ts is None else row.newsroom.embargo_ts,
        }
        if dense:
            entity["vector"] = row.vector.astype(np.float32).tolist()
        if self.full_text:
            entity["text"] = row.text.encode()[:TEXT_BYTES].decode(errors="ignore")
        return entity

    def _create(self) -> None:
        version = self._client.get_server_version()
        if not has_full_text_search(version):
            log.info("Milvus %s has no full-text search; BM25 stays in each replica's catalog", version)
            self._create_collection(self._name, full_text=False)
            return
        try:
            self._create_collection(self._name, full_text=True)
        except Exception as error:  # a server that claims a version it does not fully have
            log.info("Milvus %s refused full-text search (%s); BM25 stays in each replica's catalog", version, error)
            if self._client.has_collection(self._name):
                self._client.drop_collection(self._name)
            self._create_collection(self._name, full_text=False)

    def _create_collection(self, name: str, full_text: bool, dense: bool = True) -> None:
        """A collection of chunks (`dense`: with their vectors) or of whole articles (BM25 only)."""
        from pymilvus import DataType, Function, FunctionType

        schema = self._client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("article_id", DataType.VARCHAR, max_length=4096)
        schema.add_field("source", DataType.VARCHAR, max_length=4096)
        schema.add_field("published_ts", DataType.INT64)
        schema.add_field("cluster_id", DataType.VARCHAR, max_length=256)
        for field in ("section", "language", "visibility"):
            schema.add_field(field, DataType.VARCHAR, max_length=4096)
        schema.add_field("tags", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_TAGS,
                         max_length=TAG_CHARS * 4)
        schema.add_field("updated_ts", DataType.INT64)
        schema.add_field("embargo_ts", DataType.INT64)
        index = self._client.prepare_index_params()
        if dense:
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self._dimension)
            params = {"M": 32, "efConstruction": 200} if self._index_type == "HNSW" else {}
            index.add_index("vector", index_type=self._index_type, metric_type=self._metric, params=params)
        if full_text:
            schema.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES, enable_analyzer=True,
                             analyzer_params=ANALYZER)
            schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                         output_field_names=["sparse"]))
            index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        self._client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")

    def _has_bm25(self) -> bool:
        return "sparse" in self._fields()

    def _has_newsroom_fields(self) -> bool:
        return set(NEWSROOM_FIELDS) <= self._fields()

    def _fields(self) -> set[str]:
        return {field["name"] for field in self._client.describe_collection(self._name)["fields"]}


def _reading(after: int) -> dict:
    """A read's consistency: everything written up to the timestamp `after`; strong (the server's
    newest timestamp, reached at its next time tick) when no write's timestamp is known."""
    if after <= 0:
        return {"consistency_level": "Strong"}
    return {"consistency_level": "Customized", "guarantee_timestamp": after}


def has_full_text_search(version: str) -> bool:
    """Milvus has BM25 from 2.5 on, and Milvus Lite from 3 on ("v2.3.5-lite", "milvus_lite-3.2.2")."""
    match = re.search(r"(\d+)\.(\d+)", version)
    if match is None:
        return True  # unknown: try, and fall back if refused
    major, minor = int(match.group(1)), int(match.group(2))
    if version.startswith("milvus_lite"):
        return major >= 3
    return (major, minor) >= (2, 5)


def milvus_filter(chunk_filter: ChunkFilter) -> str:
    """The filter as a Milvus boolean expression, with the meaning of the catalog's (index.catalog);
    strings are JSON literals, which Milvus parses alike."""
    f, parts = chunk_filter, []
    asked = [("source", f.sources), ("article_id", f.article_ids), ("section", f.sections),
             ("language", f.languages), ("visibility", f.visibilities)]
    readable = [("source", f.readable_sources), ("visibility", f.readable_visibilities)]
    # An empty list asked for is no filter; an empty list readable is nothing.
    for field, values in [*((n, v) for n, v in asked if v), *((n, v) for n, v in readable if v is not None)]:
        parts.append(f"{field} in {_strings(values)}" if values else NOTHING)
    if f.tags:
        parts.append(f"array_contains_any(tags, {_strings(f.tags)})")
    for field, lower, upper in (("published_ts", f.published_from, f.published_to),
                                ("updated_ts", f.updated_from, f.updated_to)):
        if lower is not None:
            parts.append(f"{field} >= {int(lower)}")
        if upper is not None:
            parts.append(f"({field} <= {int(upper)} and {field} > {UNDATED})")
    if f.not_after is not None:
        parts.append(f"published_ts <= {int(f.not_after)}")
    if f.released_by is not None:
        parts.append(f"embargo_ts <= {int(f.released_by)}")
    return " and ".join(parts)


def _strings(values: Sequence[str]) -> str:
    return f"[{', '.join(json.dumps(v) for v in values)}]"


class MilvusVectors:
    """The vector backend on a Milvus collection (see the module's docstring)."""

    remote = True

    def __init__(self, database: Database, collection: MilvusCollection, ef_search: int = 64) -> None:
        self._db = database
        self._collection = collection
        self._ef_search = ef_search
        # The timestamp of the last write to Milvus this process knows of (module docstring), the
        # generation that write brought Milvus to, and the generation reads are of.
        self._after = 0
        self._reached = 0
        self._wanted = 0

    @property
    def full_text(self) -> bool:
        return self._collection.full_text

    def generation(self) -> int:
        return int(self._db.meta().get(MILVUS_GENERATION, "0"))

    def follow(self, generation: int) -> None:
        # Shared by every replica, brought forward by writers: what is followed is their last write's
        # timestamp, so that reads of this generation see what was written for it.
        meta = self._db.meta()
        reached = int(meta.get(MILVUS_GENERATION, "0"))
        if reached >= self._reached:
            self._reached, self._after = reached, int(meta.get(MILVUS_TIMESTAMP, "0"))
        self._wanted = max(self._wanted, generation)

    def lagging(self, generation: int) -> bool:
        # A writer has committed `generation` but not yet recorded Milvus's timestamp for it (or died
        # before): reads are strong until a later look at the database finds it recorded.
        return self._reached < generation

    def _guarantee(self) -> int:
        """The timestamp reads ask Milvus to have reached; 0 (strong) while lagging, or when the last
        write's timestamp is not known."""
        return self._after if self._reached >= self._wanted else 0

    def catch_up(self) -> None:
        reached, generation = self.generation(), self._db.generation()
        if reached >= generation:
            return
        changes = self._db.changes_since(reached)
        if changes is None:  # the log no longer reaches back: every chunk is written again
            stale, added = np.array([], dtype=np.int64), self._db.all_chunk_ids()
            # Articles are keyed by their first chunk: those removed meanwhile would stay. Their rows
            # are all written again (searches over articles miss some until they are).
            self._collection.clear_articles()
        else:
            stale, added = changes
        self._sync(stale, added, generation)

    def apply(self, removed: np.ndarray, added: np.ndarray, vectors: np.ndarray, generation: int) -> None:
        self._sync(removed, added, generation)

    def search(self, vector: np.ndarray, k: int, allowed: IdSet | None, chunk_filter: ChunkFilter) -> list[tuple[int, float]]:
        return self._collection.search(vector, k, chunk_filter, self._ef_search, self._guarantee())

    def lexical(self, terms: Sequence[str], k: int, chunk_filter: ChunkFilter) -> list[tuple[int, float]] | None:
        return self._collection.lexical(terms, k, chunk_filter, self._guarantee()) if self.full_text else None

    def lexical_articles(self, terms: Sequence[str], k: int, chunk_filter: ChunkFilter) -> list[str] | None:
        return self._collection.lexical_articles(terms, k, chunk_filter, self._guarantee()) if self.full_text else None

    def vectors_of(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        return self._db.vectors_of(ids)  # the database holds the same vectors, nearer at hand

    def count(self) -> int:
        return self._collection.count(self._guarantee())

    def refill(self) -> None:
        """Writes every chunk again, into a collection just made again."""
        with self._db.transaction():
            self._db.set_meta(MILVUS_GENERATION, "0")
            self._db.set_meta(MILVUS_TIMESTAMP, "0")
        with self._db.snapshot():
            ids, generation = self._db.all_chunk_ids(), self._db.generation()
        self._sync(np.array([], dtype=np.int64), ids, generation)

    def refill_articles(self) -> None:
        """Writes every whole article, into a collection of articles just made beside the chunks': only
        their first chunks are read."""
        article_ids = self._db.all_article_ids()
        for start in range(0, len(article_ids), SYNC_BATCH):
            leads = self._db.lead_refs(article_ids[start : start + SYNC_BATCH])
            self._collection.upsert_articles(self._whole_articles(self._rows([ref.row_id for ref in leads])))

    def unsaved(self) -> bool:
        return self.generation() < self._db.generation()

    def save(self) -> None:
        pass  # every change reached Milvus as it was applied

    def close(self) -> None:
        self._collection.close()

    def _sync(self, removed: np.ndarray, added: np.ndarray, generation: int) -> None:
        """Brings Milvus to `generation`: removed chunks out, added ones (that still exist) in."""
        before = self._collection.last_write()
        self._collection.delete(removed.tolist())
        ids = added.tolist()
        for start in range(0, len(ids), SYNC_BATCH):
            rows = self._rows(ids[start : start + SYNC_BATCH])
            self._collection.upsert(rows)
            if self.full_text:
                self._collection.upsert_articles(self._article_rows(rows))
        last = self._collection.last_write()
        # A delete's reply carries no timestamp on some servers (Milvus 2.3): when nothing written
        # after it gave a newer one, none vouches for it, and 0 has reads of this generation strong.
        self._after = last if last > before or not len(removed) else 0
        self._reached = generation
        with self._db.transaction():
            self._db.set_meta(MILVUS_GENERATION, str(generation))
            self._db.set_meta(MILVUS_TIMESTAMP, str(self._after))

    def _article_rows(self, rows: Sequence[VectorRow]) -> list[VectorRow]:
        """The articles whose first chunk is among these rows, keyed by its id, with their whole text."""
        leads = {ref.row_id for ref in self._db.lead_refs(list(dict.fromkeys(row.article_id for row in rows)))}
        return self._whole_articles([row for row in rows if row.id in leads])

    def _whole_articles(self, firsts: Sequence[VectorRow]) -> list[VectorRow]:
        """These articles' first chunks as rows of their whole articles."""
        texts = self._db.article_texts([row.article_id for row in firsts])
        return [replace(row, text=f"{row.headline}\n{texts[row.article_id]}")
                for row in firsts if row.article_id in texts]

    def _rows(self, chunk_ids: Sequence[int]) -> list[VectorRow]:
        views = {v.row_id: v for v in self._db.chunk_views(chunk_ids)}
        ids, vectors = self._db.vectors_of(chunk_ids)
        return [
            VectorRow(int(i), views[i].article_id, views[i].source, views[i].published_ts, views[i].cluster_id,
                      f"{views[i].headline}\n{views[i].text}", vector, views[i].newsroom, views[i].headline)
            for i, vector in zip(ids.tolist(), vectors) if i in views
        ]
