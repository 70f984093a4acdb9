"""Print the README's settings table from chorus.config.env (run: .venv/bin/python scripts/settings_table.py)."""

from chorus.config.env import SETTINGS

print("| setting | default | what it does |")
print("|---|---|---|")
for setting in SETTINGS:
    default = f"`{setting.default}`" if setting.default else "(empty)"
    secret = " May be given as `" + setting.name + "_FILE`." if setting.secret else ""
    print(f"| `{setting.name}` | {default} | {setting.help}{secret} |")
