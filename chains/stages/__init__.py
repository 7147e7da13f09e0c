"""The stages of a turn, by job: ``gate`` (checks and triage), ``question`` (what is asked), ``search``
(passages and relevance), ``answer``; ``turn`` holds the typed ``Turn`` they share and ``replies`` the replies
a turn can end with. ``chains/pipeline.py`` lists them in order."""
