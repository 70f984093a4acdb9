"""The custodian: the second holder of the escrow's OPRF key.

A small WSGI service with its own key file and its own rate limits, meant to be run by
a body independent of the organization (an oversight body, a union federation). It
never sees an identifier: it multiplies blinded ristretto255 elements by its key share
and proves (VOPRF) that it used the key it publishes. It has no Django and no database
beyond a SQLite file of evaluation counters, so it can be audited in one sitting.
"""
