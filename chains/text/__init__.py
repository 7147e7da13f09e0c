"""Text utilities shared by every stage: normalising, rule books kept as data, and reading context."""
