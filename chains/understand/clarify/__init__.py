"""The clarify-before-answering gate (``gate``): a message cut off, trailing off, with nothing for "it" to mean or
too little to answer gets one question back (``reply``), read from the word lists in ``clarify.yaml``."""
