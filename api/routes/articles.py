"""Articles: add or update (one or a list), list newest first, read one with its text, delete."""

from typing import Annotated

from fastapi import APIRouter, Path, Query as QueryParam, Request
from starlette.concurrency import run_in_threadpool

from api.dependencies import API_PREFIX, ServiceDep, known_parameters
from api.errors import ErrorResponse
from api.schemas import ArticleIn, ArticleListOut, ArticleOut, ArticlesAddedOut, DeletedOut
from qa.json_shapes import article_json
from qa.service import MAX_PAGE

ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 403, 409, 413, 415, 422, 429, 503)}
ArticleId = Annotated[str, Path(description="The article's id, as the newsroom gave it.")]

router = APIRouter(prefix=f"{API_PREFIX}/articles", tags=["articles"])


@router.post("", response_model=ArticlesAddedOut, responses=ERRORS, summary="Add or update articles")
async def add_articles(body: ArticleIn | list[ArticleIn], service: ServiceDep, request: Request) -> dict:
    items = body if isinstance(body, list) else [body]
    objects = [item.model_dump(exclude_none=True) for item in items]
    async with request.app.state.write_turn:
        results = await run_in_threadpool(service.add_articles, objects)
    counts = {status: sum(r.status == status for r in results) for status in ("added", "updated", "unchanged")}
    return {"results": [{"id": r.id, "status": r.status} for r in results], **counts}


@router.get("", response_model=ArticleListOut, responses=ERRORS, summary="List articles, newest published first")
def list_articles(
    service: ServiceDep,
    _: Annotated[None, known_parameters("limit", "cursor")],
    limit: Annotated[int, QueryParam(ge=1, le=MAX_PAGE, description="Articles per page.")] = 20,
    cursor: Annotated[str | None, QueryParam(description="`next_cursor` of the previous page.")] = None,
) -> dict:
    page = service.list_articles(limit, cursor)
    return {
        "articles": [_summary(article_json(a)) for a in page.articles],
        "total": page.total,
        "next_cursor": page.next_cursor,
    }


@router.get("/{article_id:path}", response_model=ArticleOut, responses={404: {"model": ErrorResponse}, **ERRORS},
            summary="One article with its text")
def get_article(article_id: ArticleId, service: ServiceDep) -> dict:
    return article_json(service.article(article_id))


@router.delete("/{article_id:path}", response_model=DeletedOut, responses={404: {"model": ErrorResponse}, **ERRORS},
               summary="Delete an article with its passages")
async def delete_article(article_id: ArticleId, service: ServiceDep, request: Request) -> dict:
    async with request.app.state.write_turn:
        await run_in_threadpool(service.delete, article_id)
    return {"id": article_id, "status": "deleted"}


def _summary(article: dict) -> dict:
    return {k: v for k, v in article.items() if k != "text"}
