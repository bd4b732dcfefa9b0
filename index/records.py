"""Rows the index stores and returns."""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np

from index.catalog.headlines import Headlined

# Where a sort or an engine without nullable fields needs a number for an undated article: before
# every real date, so "published before" leaves it out unless asked for explicitly.
UNDATED = -(2**62)


# An article stored without a visibility is public (as qa.access says).
PUBLIC = "public"


@dataclass(frozen=True)
class Newsroom:
    """The newsroom's own description of an article: its section, tags and language, when it last
    changed it (`updated_at`), until when it may not be read (`embargo_until`), and who may read it."""

    section: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    updated_at: str | None = None
    updated_ts: int | None = None
    embargo_until: str | None = None
    embargo_ts: int | None = None
    visibility: str = PUBLIC


@dataclass(frozen=True)
class ArticleFields:
    id: str
    text: str
    title: str | None
    url: str | None
    source: str | None
    authors: tuple[str, ...]
    published_at: str | None
    published_ts: int | None
    content_hash: str
    newsroom: Newsroom = field(default=Newsroom(), kw_only=True)


@dataclass(frozen=True)
class ArticleRecord(ArticleFields):
    """An article to store, with what was extracted from it at ingest."""

    story: "StoryRecord | None" = None
    speech: tuple["SpeechRecord", ...] = ()
    entities: tuple["EntityRecord", ...] = ()


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """Characters `start`..`end` of an article name a thing of kind `label` (spaCy's entity labels:
    PERSON, ORG, GPE, DATE, MONEY, …). A question reads hundreds: made without checks, as the
    recognizer's spans are whole by construction."""

    start: int
    end: int
    label: str


SPEECH_KINDS = ("direct", "indirect", "mixed")
# Whether a speech row is the person asked about, judged by how the row names its speaker and their
# titles alone: a prolific speaker's thousands of rows name them a few ways, each judged once.
SaidBy = Callable[[str | None, tuple[str, ...]], bool]


@dataclass(frozen=True)
class SpeechRecord:
    """Characters `start`..`end` of an article (a sentence) are said by `speaker`, as `cue` shows;
    `speaker` None is a source the article does not name ("officials said"). `kind` tells a quotation
    ("direct") from reported speech ("indirect") or a sentence holding both ("mixed")."""

    start: int
    end: int
    speaker: str | None
    cue: str
    titles: tuple[str, ...] = ()
    kind: str = "indirect"

    def __post_init__(self) -> None:
        if self.kind not in SPEECH_KINDS:
            raise ValueError(f"kind must be one of {', '.join(SPEECH_KINDS)}, got {self.kind!r}")
        if not self.start < self.end:
            raise ValueError(f"start must be before end, got start={self.start} end={self.end}")


@dataclass(frozen=True)
class Statement:
    """A speech row found by its speaker's key, with what a citation needs of its article."""

    article_id: str
    speech: SpeechRecord
    title: str | None
    url: str | None
    source: str | None
    published_at: str | None
    published_ts: int | None
    quote: str | None = None  # the sentence, article.text[start:end], as read with the row


@dataclass(frozen=True)
class StoryRecord:
    """Which story an article tells: its cluster id, and the fingerprint that finds its reprints."""

    cluster_id: str
    fingerprint: bytes
    band_keys: tuple[int, ...]


@dataclass(frozen=True)
class StoredArticle(ArticleFields):
    """An article as stored, with its story and bookkeeping."""

    cluster_id: str | None
    ingested_at: str
    stored_at: str  # when this version was stored
    chunks: int


@dataclass(frozen=True)
class StoryCandidate:
    article_id: str
    cluster_id: str
    fingerprint: bytes


@dataclass(frozen=True)
class ArticlePage:
    """Articles newest first; `next_cursor` continues after the last of them, None at the end."""

    articles: list[StoredArticle]
    total: int
    next_cursor: str | None


@dataclass(frozen=True)
class ChunkFilter:
    """Which chunks a search may return. Published bounds are inclusive epoch seconds and leave out
    undated articles; `not_after` (the moment a question is asked about) leaves out only articles
    known to be published later."""

    sources: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()
    published_from: int | None = None
    published_to: int | None = None
    not_after: int | None = None
    # The newsroom's fields: any of these sections, tags, languages and visibilities; updated within bounds.
    sections: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    visibilities: tuple[str, ...] = ()
    updated_from: int | None = None
    updated_to: int | None = None
    # What the caller may read at all (None: anything), beside what it asked for.
    readable_sources: tuple[str, ...] | None = None
    readable_visibilities: tuple[str, ...] | None = None
    # The moment embargoes are judged at (now, never the moment asked about): an article under embargo
    # until later is left out. None: embargoes are not looked at.
    released_by: int | None = None


class IdSet:
    """Chunk ids as a packed bitmap (bit i set for id i), which a filtered vector search reads in
    constant time per id; made once per filter and shared by every search under it."""

    def __init__(self, bits: np.ndarray, count: int) -> None:
        self.bits = bits
        self.count = count

    @classmethod
    def of(cls, ids: np.ndarray) -> "IdSet":
        ids = np.asarray(ids, dtype=np.int64)
        allowed = np.zeros(int(ids.max()) + 1 if len(ids) else 0, dtype=bool)
        allowed[ids] = True
        return cls(np.packbits(allowed, bitorder="little"), int(allowed.sum()))

    def __len__(self) -> int:
        return self.count

    def without(self, ids: np.ndarray) -> "IdSet":
        """This set less `ids`, in time proportional to how many they are."""
        ids = np.asarray(ids, dtype=np.int64)
        ids = ids[ids < 8 * len(self.bits)]
        bits = self.bits.copy()
        np.bitwise_and.at(bits, ids >> 3, np.invert(np.left_shift(np.uint8(1), (ids & 7).astype(np.uint8))))
        return IdSet(bits, int(np.unpackbits(bits).sum()))

    @cached_property
    def ids(self) -> np.ndarray:
        """The ids, ascending; worked out only for the searches that need them listed."""
        return np.flatnonzero(np.unpackbits(self.bits, bitorder="little")).astype(np.int64)


@dataclass(frozen=True)
class Allowed:
    """What a filter lets through: masks over the catalog's chunk and article slots, and the chunk
    ids for the vector search (None when the filter lets every live chunk through)."""

    chunks: np.ndarray
    articles: np.ndarray
    ids: IdSet | None


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk to store: `key` is its public id, `embed_hash` identifies the text its vector embeds."""

    start: int
    end: int
    key: str
    embed_hash: str
    vector: np.ndarray


class ChunkRef(NamedTuple):
    """What ranking needs of a chunk found by a search; its text is read only for the chunks kept.
    A named tuple: a search makes hundreds, and a tuple is made in half the time of a frozen dataclass."""

    row_id: int
    article_id: str
    published_ts: int | None
    cluster_id: str | None


@dataclass(frozen=True)
class ChunkView(Headlined):
    """A stored chunk with its text and its article's metadata, as search results need it."""

    row_id: int
    key: str
    article_id: str
    start: int
    end: int
    text: str
    title: str | None
    url: str | None
    source: str | None
    published_at: str | None
    published_ts: int | None
    cluster_id: str | None
    newsroom: Newsroom = field(default=Newsroom(), kw_only=True)


@dataclass(frozen=True)
class SearchHits:
    """What one search found, from one snapshot: nearest by vector and best by BM25, each best first,
    and the cosine of every chunk found to the query vector."""

    dense: list[ChunkRef]
    lexical: list[ChunkRef]
    cosines: dict[int, float]
    articles: list[str]  # ids of whole articles by BM25, best first


@dataclass(frozen=True)
class SourceRun:
    """One sync of a source: when it ran, what it counted (listed, fetched, added, …), why it failed as a
    whole if it did (its articles stay), and the items it skipped, each with why."""

    started_at: str
    finished_at: str | None
    counts: tuple[tuple[str, int], ...] = ()
    error: str | None = None
    skipped: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SourceRecord:
    """A feed or sitemap followed: synced every `every_seconds`, its articles stored with `visibility`;
    due again at `next_due_ts`."""

    id: str
    url: str
    every_seconds: int
    visibility: str
    added_at: str
    next_due_ts: int
    last_run: SourceRun | None = None


@dataclass(frozen=True)
class FetchState:
    """What was last fetched from a URL of a source: the validators for a conditional request, the date
    the listing gave it then (`listed_at`: unchanged, it is not fetched again), the article it became."""

    url: str
    etag: str | None
    last_modified: str | None
    listed_at: str | None
    article_id: str | None
    fetched_at: str


@dataclass(frozen=True)
class StoreStats:
    articles: int
    chunks: int
    vectors: int
    generation: int
