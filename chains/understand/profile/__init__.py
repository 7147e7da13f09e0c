"""The patient profile: facts a patient states about themselves, read by rules (``extract``) and optionally by an
LLM (``llm``), merged turn by turn (``facts``)."""
