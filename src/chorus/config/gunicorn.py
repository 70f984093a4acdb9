"""gunicorn's settings for a production deployment of Chorus.

    gunicorn -c python:chorus.config.gunicorn chorus.config.wsgi

Read from the same declared settings as everything else (CHORUS_BIND, CHORUS_WORKERS,
CHORUS_REQUEST_TIMEOUT). Synchronous workers: every request is one database transaction
at most, and a worker that dies mid-request (killed, out of memory, timed out) takes its
uncommitted transaction with it; the arbiter starts a fresh one.
"""

from __future__ import annotations

import os

from chorus.config.env import read

wsgi_app = "chorus.config.wsgi:application"
bind = [read("CHORUS_BIND")]
# The cores this process may run on (a container or CPU affinity may allow fewer than the machine has).
workers = read("CHORUS_WORKERS") or 2 * len(os.sched_getaffinity(0)) + 1
worker_class = "sync"
timeout = read("CHORUS_REQUEST_TIMEOUT")
graceful_timeout = 20
# Recycle workers now and then so no slow growth in memory lasts (jittered: not all at once).
# Rarely: a new worker imports Chorus again (about a second of CPU), which at a few hundred
# requests per second every 5000 requests would cost each core several percent.
max_requests = 50_000
max_requests_jitter = 5_000
# No access log: paths name records and cases, and a log is one more copy to protect.
# Errors (never with request bodies) go to stderr for the service manager.
accesslog = None
errorlog = "-"
loglevel = "warning"
# Headers from the proxy in front (X-Forwarded-Proto) are believed only from CHORUS_TRUSTED_PROXIES.
forwarded_allow_ips = ",".join(str(network) for network in read("CHORUS_TRUSTED_PROXIES"))
proc_name = "chorus"
