"""The Chainlit adapter: sign-in, sessions and their saved state, uploads, the web page; the only code that imports Chainlit."""
