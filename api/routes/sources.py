"""Sources: the feeds and sitemaps followed, added, listed, synced now and removed."""

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from api.dependencies import API_PREFIX, AccessDep, ServiceDep
from api.errors import ErrorResponse
from api.schemas import (
    FollowedSourceIn, FollowedSourceOut, FollowedSourceRemovedOut, FollowedSourcesOut, SyncedOut,
)
from index.records import SourceRecord, SourceRun
from qa.sources.durations import duration_text
from qa.text.isodates import iso_text

ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 403, 404, 413, 415, 422, 429, 503)}
SourceId = Annotated[str, Path(description="The source's id, as listed.")]

router = APIRouter(prefix=f"{API_PREFIX}/sources", tags=["sources"])


@router.get("", response_model=FollowedSourcesOut, responses=ERRORS, summary="The feeds and sitemaps followed")
def list_sources(service: ServiceDep, access: AccessDep) -> dict:
    return {"sources": [source_json(s) for s in service.sources.followed(access)]}


@router.post("", response_model=FollowedSourceOut, status_code=201,
             responses={200: {"model": FollowedSourceOut}, **ERRORS},
             summary="Follow a feed or sitemap (or change how one is followed)")
def add_source(body: FollowedSourceIn, service: ServiceDep, access: AccessDep, response: Response) -> dict:
    """It is due at once: the background schedule (QA_SYNC_IN_BACKGROUND) syncs it within a minute, or
    `POST /v1/sources/{id}/sync` does now. Adding a URL already followed changes it (200)."""
    known = service.sources.follows(body.url)
    source = service.sources.add(body.url, body.every, body.visibility, access)
    if known:
        response.status_code = 200
    return source_json(source)


@router.get("/{source_id}", response_model=FollowedSourceOut, responses=ERRORS, summary="One source, with its last run")
def get_source(source_id: SourceId, service: ServiceDep, access: AccessDep) -> dict:
    return source_json(service.sources.get(source_id, access))


@router.post("/{source_id}/sync", response_model=SyncedOut, responses=ERRORS, summary="Sync a source now")
async def sync_source(source_id: SourceId, service: ServiceDep, access: AccessDep, request: Request) -> dict:
    """Fetches what is new or changed and stores it; answers once the run is done, with what it did."""
    async with request.app.state.write_turn:
        synced = await run_in_threadpool(lambda: service.sources.sync(source_id, access=access))
    return {"source": source_json(synced.source), "run": run_json(synced.run)}


@router.delete("/{source_id}", response_model=FollowedSourceRemovedOut, responses=ERRORS,
               summary="Stop following a source")
def remove_source(source_id: SourceId, service: ServiceDep, access: AccessDep) -> dict:
    """Its articles stay; `DELETE /v1/articles?source=…` removes them."""
    removed = service.sources.remove(source_id, access)
    return {"id": removed.id, "status": "removed"}


def source_json(source: SourceRecord) -> dict:
    due = datetime.fromtimestamp(source.next_due_ts, timezone.utc)
    return {
        "id": source.id, "url": source.url, "every": duration_text(source.every_seconds),
        "every_seconds": source.every_seconds, "visibility": source.visibility, "added_at": source.added_at,
        "next_due_at": iso_text(due), "last_run": run_json(source.last_run) if source.last_run else None,
    }


def run_json(run: SourceRun) -> dict:
    return {"started_at": run.started_at, "finished_at": run.finished_at, "counts": dict(run.counts),
            "error": run.error, "skipped": [{"item": item, "reason": reason} for item, reason in run.skipped]}
