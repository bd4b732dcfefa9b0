"""Question to passages: the words BM25 looks for, dense and lexical search, fusion, recency, reranking."""
