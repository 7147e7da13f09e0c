"""What a message means: the clarify gate, memory and follow-ups, the patient profile, cancer types, language, spelling and the vocabulary they read (word lists in ``vocab/``)."""
