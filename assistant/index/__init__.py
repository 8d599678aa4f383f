"""Index: sentences and passages embedded and stored (Chroma), with a manifest of how each build was made."""
