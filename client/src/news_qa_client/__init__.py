"""A typed client for the news-qa service: `NewsQA` (blocking) and `AsyncNewsQA`, whose methods are the
API's operations and return its models (`news_qa_client.models`, generated from its OpenAPI document)."""

from news_qa_client._version import __version__
from news_qa_client.async_client import AsyncNewsQA
from news_qa_client.errors import NewsQAError
from news_qa_client.filters import ArticleFilters
from news_qa_client.streaming import StreamEvent
from news_qa_client.sync_client import NewsQA

__all__ = ["ArticleFilters", "AsyncNewsQA", "NewsQA", "NewsQAError", "StreamEvent", "__version__"]
