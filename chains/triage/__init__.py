"""Triage like an oncology advice line: red (act now), amber (contact the team today), green, or unsure
(ask one quick question first). Rules where they are exact, a learned classifier for new wording."""
