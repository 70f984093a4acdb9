"""``chorus worker``: run queued tasks and the periodic jobs, until stopped."""

from __future__ import annotations

import logging
import signal
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connections

from chorus.web.outage import database_unavailable
from chorus.web.tasks import work_once

logger = logging.getLogger("chorus.worker")


class Command(BaseCommand):
    help = "Run the task queue (emails, reminders, retention). Several workers may run at once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run what is due now, then exit.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between polls (default 5).")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            try:
                ran = work_once()
            except Exception as error:
                # The database restarted or is unreachable: nothing was claimed for good
                # (each task is claimed and finished in transactions), so wait and go on.
                # Anything else is a bug and stops the worker, loudly.
                if options["once"] or not database_unavailable(error):
                    raise
                logger.warning("worker: the database is unavailable (%s); trying again", type(error).__name__)
                connections.close_all()
                time.sleep(options["interval"])
                continue
            if options["once"]:
                self.stdout.write(f"ran {ran} task(s)")
                return
            if stopping:
                return
            if ran == 0:
                time.sleep(options["interval"])
