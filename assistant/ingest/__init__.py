"""Ingest: an article file becomes an ``Article`` (clean text, blocks, header), then sentences and
passages with offsets, sections and speakers."""
