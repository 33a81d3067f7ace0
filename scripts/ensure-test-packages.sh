#!/usr/bin/env bash
# Installs the Debian packages the tests drive as real peers, when they are missing.
# Run by `npm test` (pretest). Needs root for apt-get; says what to install otherwise.
set -euo pipefail

# command → Debian package (postfix also brings smtp-sink, smtp-source, postqueue)
declare -A needed=(
  [chromium]=chromium
  [postfix]=postfix
  [swaks]=swaks
  # POP3 clients that take mail out of gateway mailboxes (test/system/gateway*.test.ts)
  [curl]=curl
  [fetchmail]=fetchmail
  # SASL authentication for the Postfix that captures what Postvault sends (scripts/postfix-capture.sh)
  [dovecot]=dovecot-core
)

missing=()
for command in "${!needed[@]}"; do
  # /usr/sbin (postfix) is not on a non-root PATH on Debian.
  command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ] || missing+=("${needed[$command]}")
done
# swaks speaks STARTTLS through Net::SSLeay, which Debian only recommends (not installed here).
perl -MNet::SSLeay -MIO::Socket::SSL -e1 >/dev/null 2>&1 || missing+=(libnet-ssleay-perl libio-socket-ssl-perl)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing test packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
