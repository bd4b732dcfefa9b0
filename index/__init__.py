"""Storage: articles, chunks and vectors behind the ports of index.ports. Knows nothing of questions."""
