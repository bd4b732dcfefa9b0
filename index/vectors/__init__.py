"""Vector backends: FAISS in this process, or Milvus shared by replicas; and the cache of question vectors."""
