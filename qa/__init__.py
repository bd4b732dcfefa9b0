"""The domain: ingest, chunk, embed, retrieve and answer over news articles."""
