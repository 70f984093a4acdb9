#!/usr/bin/env bash
# Installs the Debian packages Chorus needs and the machine lacks.
#   run:  libsodium (used through the system library for ristretto255), DejaVu fonts (PDF export),
#         gettext (compiles the translations)
#   test: also PostgreSQL (throwaway test clusters), Chromium (browser journeys) and nginx (the
#         shipped proxy configuration, tested in front of two app servers)
#   node: Node.js and npm, only where the machine has none (they bundle the browser module)
set -euo pipefail
want=(libsodium23 fonts-dejavu-core gettext)
if [[ "${1:-run}" == "test" ]]; then
  want+=(postgresql chromium nginx systemd)
elif [[ "${1:-run}" == "node" ]]; then
  want=(nodejs npm)
fi
missing=()
for package in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "Installing Debian packages: ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
  echo "Please install as root: apt-get install ${missing[*]}" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
