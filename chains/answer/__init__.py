"""Answer engines: the ``AnswerEngine`` protocol (``base``), the offline composer (default) and the OpenAI-compatible LLM engine."""
