"""Search the index: the ``KnowledgeBase`` (dense + keyword, fused, one relevance decision), the index layout, embeddings, the Chroma client and token counts."""
