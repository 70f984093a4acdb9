"""Uploads held in memory only, and stopped at the size limit.

Django writes large uploads to temporary files; a survivor's unencrypted photo must
never touch the disk, so Chorus keeps every upload in memory and skips any file over
``CHORUS_ATTACHMENT_MAX_MB``, noting it on the request so the page can say so.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler, SkipFile


class LimitedMemoryUploadHandler(MemoryFileUploadHandler):
    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        super().handle_raw_input(*args, **kwargs)
        self.activated = True  # always in memory, whatever the request's size

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        self.received = 0  # before super(), which ends by raising StopFutureHandlers
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.CHORUS_ATTACHMENT_MAX_BYTES:
            if self.request is not None:
                self.request.chorus_upload_too_large = True  # type: ignore[attr-defined]
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)
