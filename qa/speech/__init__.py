"""Who said what: attribution of reported speech at ingest, questions about what someone said, and
the quote finder over the archive."""
