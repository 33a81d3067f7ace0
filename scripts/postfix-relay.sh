#!/usr/bin/env bash
# A throwaway Postfix relay for tests (shared/recipes/README.md, section 1): a real MTA that queues
# and retries, configured entirely inside BASE, listening on loopback only, relaying everything to
# [127.0.0.1]:RELAY_PORT. Nothing outside BASE is touched, so runs with different BASE folders and
# ports do not collide. Postfix must be started as root (it drops privileges itself).
#
#   scripts/postfix-relay.sh start BASE LISTEN_PORT RELAY_PORT   configure, start, wait for the smtpd
#   scripts/postfix-relay.sh stop BASE                           stop, wait until the master is gone
#   scripts/postfix-relay.sh queue BASE                          number of queued messages (0: empty)
#   scripts/postfix-relay.sh flush BASE                          retry every deferred message now
#
# Postfix logs to BASE/postfix.log; the master PID is in BASE/spool/pid/master.pid.
set -euo pipefail

usage() {
  echo "usage: $0 start BASE LISTEN_PORT RELAY_PORT | stop BASE | queue BASE | flush BASE" >&2
  exit 2
}

is_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

# The base folder as an absolute path without a trailing slash (main.cf needs absolute paths).
absolute() {
  [ -d "$1" ] || { echo "$0: $1 is not a folder" >&2; exit 2; }
  (cd "$1" && pwd -P)
}

master_pid() {
  local file="$1/spool/pid/master.pid"
  [ -r "$file" ] && tr -d ' \n' <"$file" || true
}

write_config() {
  local base="$1" listen="$2" relay="$3"
  # data_directory is left to Postfix: it must be created by and owned by the postfix user.
  mkdir -p "$base/etc" "$base/spool"
  cat >"$base/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $base/spool
data_directory = $base/data
maillog_file = $base/postfix.log
maillog_file_prefixes = $base
myhostname = relay-test.localdomain
mydomain = localdomain
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$relay
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = yes
smtp_tls_security_level = none
local_header_rewrite_clients =
message_size_limit = 52428800
minimal_backoff_time = 2s
maximal_backoff_time = 4s
queue_run_delay = 1s
transport_retry_time = 1s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
EOF
  cat >"$base/etc/master.cf" <<EOF
127.0.0.1:$listen inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
local     unix - n n - - local
virtual   unix - n n - - virtual
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
}

# True when something on 127.0.0.1:PORT greets with an SMTP 220 banner.
smtp_answers() (
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  line=""
  IFS= read -r -t 5 line <&3 || true
  printf 'QUIT\r\n' >&3 2>/dev/null || true
  [[ "$line" == 220* ]]
) 2>/dev/null

start() {
  [ $# -eq 3 ] || usage
  is_port "$2" && is_port "$3" || usage
  if [ "$(id -u)" -ne 0 ]; then
    echo "$0: Postfix must be started as root" >&2
    exit 1
  fi
  command -v postfix >/dev/null 2>&1 || {
    echo "$0: postfix is not installed (apt-get install postfix)" >&2
    exit 1
  }
  local base listen="$2" relay="$3"
  base="$(absolute "$1")"
  # The daemons run as the postfix user and must reach the queue below BASE (mkdtemp makes it 0700).
  chmod 0755 "$base"
  write_config "$base" "$listen" "$relay"
  postfix -c "$base/etc" start >>"$base/postfix-control.log" 2>&1 || {
    echo "$0: postfix -c $base/etc start failed:" >&2
    cat "$base/postfix-control.log" "$base/postfix.log" >&2 2>/dev/null || true
    exit 1
  }
  local deadline=$((SECONDS + 30))
  until smtp_answers "$listen"; do
    if [ $SECONDS -ge $deadline ]; then
      echo "$0: the Postfix smtpd on 127.0.0.1:$listen did not answer within 30 s" >&2
      cat "$base/postfix.log" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.1
  done
  echo "postfix relay running: smtpd 127.0.0.1:$listen -> [127.0.0.1]:$relay, master pid $(master_pid "$base"), base $base"
}

stop() {
  [ $# -eq 1 ] || usage
  local base pid
  base="$(absolute "$1")"
  pid="$(master_pid "$base")"
  postfix -c "$base/etc" stop >>"$base/postfix-control.log" 2>&1 || true
  [ -n "$pid" ] || exit 0
  local deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "$0: the Postfix master $pid did not stop within 20 s; killing it" >&2
      postfix -c "$base/etc" abort >>"$base/postfix-control.log" 2>&1 || kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.1
  done
}

# `postqueue -p` prints "Mail queue is empty" or the entries and "-- N Kbytes in M Request(s)."
queue() {
  [ $# -eq 1 ] || usage
  local base out
  base="$(absolute "$1")"
  out="$(postqueue -c "$base/etc" -p 2>&1)" || {
    echo "$0: postqueue -c $base/etc -p failed: $out" >&2
    exit 1
  }
  if grep -q '^Mail queue is empty' <<<"$out"; then
    echo 0
  elif [[ "$(tail -n 1 <<<"$out")" =~ in\ ([0-9]+)\ Requests?\.$ ]]; then
    echo "${BASH_REMATCH[1]}"
  else
    echo "$0: cannot read the queue listing: $out" >&2
    exit 1
  fi
}

flush() {
  [ $# -eq 1 ] || usage
  local base
  base="$(absolute "$1")"
  postqueue -c "$base/etc" -f
}

[ $# -ge 1 ] || usage
command="$1"
shift
case "$command" in
  start) start "$@" ;;
  stop) stop "$@" ;;
  queue) queue "$@" ;;
  flush) flush "$@" ;;
  *) usage ;;
esac
