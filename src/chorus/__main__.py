"""The ``chorus`` command: Django's management commands with Chorus's settings."""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["custodian"]:  # the custodian needs neither Django nor the database
        from chorus.custodian.cli import main as custodian_main

        raise SystemExit(custodian_main(sys.argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.config.settings")
    from chorus.config.env import ImproperSetting

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["chorus", *sys.argv[1:]])
    except ImproperSetting as error:
        sys.stderr.write(f"chorus: bad setting: {error}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
