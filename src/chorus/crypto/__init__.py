"""Pure-Python cryptography for Chorus. Nothing here imports Django."""
