"""The sources followed (feeds and sitemaps) and what was last fetched from each of their URLs, as both
engines keep them; and leases, which let one process of many do a shared chore (the sync schedule).

Mixed into index.sql.database.SqlDatabase, whose statement runners it uses."""

import json
from collections.abc import Sequence

from index.records import FetchState, SourceRecord, SourceRun

SOURCE_COLUMNS = "id, url, every_seconds, visibility, added_at, next_due_ts, last_run"
FETCHED_COLUMNS = "url, etag, last_modified, listed_at, article_id, fetched_at"
LEASE_PREFIX = "lease:"


class SourceTables:
    """The sources' queries; the statement runners, transactions and meta table are SqlDatabase's."""

    def sources(self) -> list[SourceRecord]:
        rows = self._execute(f"SELECT {SOURCE_COLUMNS} FROM sources ORDER BY added_at, url").fetchall()
        return [_source(row) for row in rows]

    def source(self, source_id: str) -> SourceRecord | None:
        row = self._execute(f"SELECT {SOURCE_COLUMNS} FROM sources WHERE id = ?", (source_id,)).fetchone()
        return _source(row) if row else None

    def save_source(self, source: SourceRecord) -> SourceRecord:
        """Adds the source, or changes how often and with what visibility one of the same URL is
        followed, and when it is next due (keeping its id, when it was added and its last run);
        returns it as stored."""
        with self.transaction():
            self._execute(
                f"INSERT INTO sources({SOURCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL) ON CONFLICT(url) DO UPDATE "
                "SET every_seconds = excluded.every_seconds, visibility = excluded.visibility, "
                "next_due_ts = excluded.next_due_ts",
                (source.id, source.url, source.every_seconds, source.visibility, source.added_at, source.next_due_ts),
            )
            row = self._execute(f"SELECT {SOURCE_COLUMNS} FROM sources WHERE url = ?", (source.url,)).fetchone()
        return _source(row)

    def remove_source(self, source_id: str) -> bool:
        """Stops following the source; its articles stay."""
        with self.transaction():
            return bool(self._execute("DELETE FROM sources WHERE id = ?", (source_id,)).rowcount)

    def record_run(self, source_id: str, run: SourceRun, next_due_ts: int) -> None:
        with self.transaction():
            self._execute("UPDATE sources SET last_run = ?, next_due_ts = ? WHERE id = ?",
                          (json.dumps(_run_json(run), ensure_ascii=False), next_due_ts, source_id))

    def fetch_states(self, source_id: str, urls: Sequence[str]) -> dict[str, FetchState]:
        of_urls, listed = self._one_of("url", list(urls))
        rows = self._execute(f"SELECT {FETCHED_COLUMNS} FROM fetched WHERE source_id = ? AND {of_urls}",
                             (source_id, listed)).fetchall()
        return {row[0]: FetchState(*row) for row in rows}

    def record_fetches(self, source_id: str, states: Sequence[FetchState]) -> None:
        if not states:
            return
        with self.transaction():
            self._executemany(
                f"INSERT INTO fetched(source_id, {FETCHED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(source_id, url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
                "listed_at = excluded.listed_at, article_id = excluded.article_id, fetched_at = excluded.fetched_at",
                [(source_id, s.url, s.etag, s.last_modified, s.listed_at, s.article_id, s.fetched_at) for s in states],
            )

    def take_lease(self, name: str, holder: str, until_ts: int, now_ts: int) -> bool:
        """Holds the lease `name` for `holder` until `until_ts`, if no other holder has it beyond `now_ts`."""
        key = LEASE_PREFIX + name
        with self.transaction():
            self._lock_meta()
            current = self.meta().get(key)
            if current is not None:
                other, _, until = current.rpartition("@")
                if other != holder and int(until) > now_ts:
                    return False
            self.set_meta(key, f"{holder}@{until_ts}")
            return True

    def release_lease(self, name: str, holder: str) -> None:
        with self.transaction():
            self._lock_meta()
            current = self.meta().get(LEASE_PREFIX + name)
            if current is not None and current.rpartition("@")[0] == holder:
                self._execute("DELETE FROM meta WHERE key = ?", (LEASE_PREFIX + name,))


def _source(row: tuple) -> SourceRecord:
    source_id, url, every_seconds, visibility, added_at, next_due_ts, last_run = row
    return SourceRecord(source_id, url, every_seconds, visibility, added_at, next_due_ts,
                        _run(json.loads(last_run)) if last_run else None)


def _run_json(run: SourceRun) -> dict:
    return {"started_at": run.started_at, "finished_at": run.finished_at, "counts": dict(run.counts),
            "error": run.error, "skipped": [list(item) for item in run.skipped]}


def _run(data: dict) -> SourceRun:
    return SourceRun(data["started_at"], data["finished_at"], tuple(data["counts"].items()), data["error"],
                     tuple(tuple(item) for item in data["skipped"]))
