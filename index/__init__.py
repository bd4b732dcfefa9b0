"""Storage: FAISS vectors, SQLite metadata and a manifest in one index directory. Knows nothing of questions."""
