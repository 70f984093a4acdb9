"""Test settings: Chorus's own settings with a cheaper Argon2id.

Like Django's advice to use a fast password hasher in tests, this keeps hundreds of
sign-ins quick. The production defaults are checked in tests/config and their cost is
measured by ``make bench``.
"""

import tempfile
from pathlib import Path

from chorus.config.settings import *  # noqa: F403

CHORUS_ARGON2 = {"memory_kib": 1024, "iterations": 1, "parallelism": 1}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The live server's threads must not keep connections open past a test, or the test
# database cannot be dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Encrypted attachments go to a fresh folder per run, which the leak test also searches.
CHORUS_ATTACHMENTS_DIR = Path(tempfile.mkdtemp(prefix="chorus-test-attachments-"))

# The escrow's two key shares and the in-process custodian's counters, per run.
_escrow_dir = Path(tempfile.mkdtemp(prefix="chorus-test-escrow-"))
CHORUS_ESCROW_KEY_PATH = _escrow_dir / "escrow-oprf.key"
CHORUS_CUSTODIAN_DIR = _escrow_dir / "custodian"
