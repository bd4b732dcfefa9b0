"""Text to vectors: the local model (sentence-transformers or its ONNX copy), Ray for bulk ingest, caches."""
