"""Backup and restore of a whole deployment: ``chorus backup`` and ``chorus restore``.

A plain package, not a Django app: it owns no models and belongs to no domain (it copies
every app's tables and the attachment folder alike), so it sits beside them rather than
inside one. Its two commands live in ``chorus.web``'s management commands next to
``chorus worker``, the other operator command that serves every app.

* ``archive``: the archive format (a tar with a manifest of sizes and SHA-256 hashes); no Django.
* ``database``: dumping and restoring the database, per vendor, and reading its migration state.
* ``services``: ``backup_create`` and ``backup_restore``, and the key files kept out of archives.
"""
