"""Articles into the index: reading files and pages, chunking, grouping reprints, writing batches."""
