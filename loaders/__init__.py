"""Turn files (Markdown, text, PDF, HTML, JSONL) into documents and load them into the index."""
