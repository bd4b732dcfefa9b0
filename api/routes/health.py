"""Liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Request, Response

from api.dependencies import ServiceDep
from api.errors import ErrorResponse
from api.schemas import HealthOut, ReadyOut

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthOut, summary="The process is alive")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyOut, responses={503: {"model": ErrorResponse}},
            summary="The model is loaded and the index is open")
def readyz(service: ServiceDep) -> dict:
    stats = service.stats()
    return {"status": "ready", "model": service.model_name, "articles": stats.articles,
            "chunks": stats.chunks, "vectors": stats.vectors}


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}},
            summary="Prometheus metrics")
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")
