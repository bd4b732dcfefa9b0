"""Articles: add or update (one or a list), create or replace one by id (a CMS's PUT, with versions),
list newest first, read one with its text, delete one or every one within filters."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query as QueryParam, Request, Response
from starlette.concurrency import run_in_threadpool

from api.dependencies import API_PREFIX, AccessDep, ServiceDep, known_parameters
from api.errors import ErrorResponse
from api.parameters import ARTICLE_FILTER_PARAMETERS, ArticleFilterDep
from api.schemas import (
    ArticleIn, ArticleListOut, ArticleOut, ArticlePutIn, ArticleResultOut, ArticlesAddedOut, DeletedManyOut, DeletedOut,
)
from qa.json_shapes import article_json
from qa.service import MAX_PAGE

ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 403, 409, 413, 415, 422, 429, 503)}
ArticleId = Annotated[str, Path(description="The article's id, as the newsroom gave it.")]

router = APIRouter(prefix=f"{API_PREFIX}/articles", tags=["articles"])


@router.post("", response_model=ArticlesAddedOut, responses=ERRORS, summary="Add or update articles")
async def add_articles(body: ArticleIn | list[ArticleIn], service: ServiceDep, access: AccessDep,
                       request: Request) -> dict:
    items = body if isinstance(body, list) else [body]
    objects = [item.model_dump(exclude_none=True) for item in items]
    async with request.app.state.write_turn:
        results = await run_in_threadpool(service.add_articles, objects, access)
    counts = {status: sum(r.status == status for r in results) for status in ("added", "updated", "unchanged")}
    return {"results": [{"id": r.id, "status": r.status, "version": r.version} for r in results], **counts}


@router.get("", response_model=ArticleListOut, responses=ERRORS, summary="List articles, newest published first")
def list_articles(
    service: ServiceDep,
    access: AccessDep,
    _: Annotated[None, known_parameters("limit", "cursor", *ARTICLE_FILTER_PARAMETERS)],
    filters: ArticleFilterDep,
    limit: Annotated[int, QueryParam(ge=1, le=MAX_PAGE, description="Articles per page.")] = 20,
    cursor: Annotated[str | None, QueryParam(description="`next_cursor` of the previous page.")] = None,
) -> dict:
    page = service.list_articles(limit, cursor, access, filters)
    return {
        "articles": [_summary(article_json(a)) for a in page.articles],
        "total": page.total,
        "next_cursor": page.next_cursor,
    }


@router.delete("", response_model=DeletedManyOut, responses=ERRORS, summary="Delete every article within filters")
async def delete_articles(
    service: ServiceDep, access: AccessDep, request: Request,
    _: Annotated[None, known_parameters(*ARTICLE_FILTER_PARAMETERS)], filters: ArticleFilterDep,
) -> dict:
    """At least one filter is needed, e.g. `?source=wire.example&published_before=2020-01-01`."""
    async with request.app.state.write_turn:
        deleted = await run_in_threadpool(service.delete_matching, filters, access)
    return {"deleted": len(deleted), "ids": deleted}


@router.get("/{article_id:path}", response_model=ArticleOut, responses={404: {"model": ErrorResponse}, **ERRORS},
            summary="One article with its text")
def get_article(article_id: ArticleId, service: ServiceDep, access: AccessDep, response: Response) -> dict:
    article = article_json(service.article(article_id, access))
    response.headers["ETag"] = _etag(article["version"])
    return article


@router.put("/{article_id:path}", response_model=ArticleResultOut, status_code=200,
            responses={201: {"model": ArticleResultOut, "description": "Created"}, 404: {"model": ErrorResponse},
                       **ERRORS},
            summary="Create or replace one article (idempotent, versioned)")
async def put_article(
    article_id: ArticleId, body: ArticlePutIn, service: ServiceDep, access: AccessDep, request: Request,
    response: Response,
    if_match: Annotated[str | None, Header(description="Replace only this version (the `ETag`); `*`: only an "
                                           "article already stored. Otherwise 409 with the stored version.")] = None,
) -> dict:
    """Sending the same article again changes nothing (`unchanged`). With `updated_at`, an update older than
    the stored one's is refused with 409, so a late, older update never overwrites a newer one."""
    async with request.app.state.write_turn:
        result = await run_in_threadpool(service.put_article, article_id, body.model_dump(exclude_none=True),
                                         _entity_tags(if_match), access)
    response.status_code = 201 if result.status == "added" else 200
    response.headers["ETag"] = _etag(result.version)
    return {"id": result.id, "status": result.status, "version": result.version}


@router.delete("/{article_id:path}", response_model=DeletedOut, responses={404: {"model": ErrorResponse}, **ERRORS},
               summary="Delete an article with its passages")
async def delete_article(article_id: ArticleId, service: ServiceDep, access: AccessDep, request: Request) -> dict:
    async with request.app.state.write_turn:
        await run_in_threadpool(service.delete, article_id, access)
    return {"id": article_id, "status": "deleted"}


def _summary(article: dict) -> dict:
    return {k: v for k, v in article.items() if k != "text"}


def _etag(version: str) -> str:
    return f'"{version}"'


def _entity_tags(header: str | None) -> list[str] | None:
    """The versions an If-Match header names (weak or strong, quoted or not), or ["*"]."""
    if header is None:
        return None
    return [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",") if tag.strip()]
