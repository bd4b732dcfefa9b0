"""Newsroom sources followed over HTTP: RSS and Atom feeds and news sitemaps, fetched politely and kept current."""
