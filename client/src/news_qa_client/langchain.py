"""A LangChain retriever over the service: passages from `search` (the default) or the sentences `ask`
cites, as Documents whose metadata say where each stands in its article (article_id, start, end)."""

try:
    from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
except ImportError as error:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "news_qa_client.langchain needs langchain-core: pip install 'news-qa-client[langchain]'"
    ) from error

from pydantic import ConfigDict, Field

from news_qa_client.async_client import AsyncNewsQA
from news_qa_client.hits import Hit, Mode, aretrieve, retrieve
from news_qa_client.models import FiltersIn
from news_qa_client.sync_client import NewsQA


class NewsQARetriever(BaseRetriever):
    """`filters` are those of `ask` (`{"source": "wire", "published_after": "2024-01-01"}`), used in
    both modes. Async calls go through `async_client`, or a short-lived one to the same service."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    client: NewsQA
    async_client: AsyncNewsQA | None = None
    top_k: int | None = Field(None, gt=0)
    filters: FiltersIn | None = None
    mode: Mode = "search"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [_document(hit) for hit in retrieve(self.client, query, self.mode, self.top_k, self.filters)]

    async def _aget_relevant_documents(self, query: str, *,
                                       run_manager: AsyncCallbackManagerForRetrieverRun) -> list[Document]:
        hits = await aretrieve(self.client, self.async_client, query, self.mode, self.top_k, self.filters)
        return [_document(hit) for hit in hits]


def _document(hit: Hit) -> Document:
    return Document(id=hit.id, page_content=hit.text, metadata=hit.metadata)

