#!/usr/bin/env bash
# A throwaway Postfix that RECEIVES what Postvault sends and captures it (recipes: shared/recipes/
# README.md, sections 1, 2 and 4): real smtpd listeners on loopback (plain, STARTTLS, implicit TLS,
# with or without SASL authentication through a Dovecot auth-only service), SMTPUTF8 on, and every
# accepted message handed to a pipe(8) transport that writes the message and its envelope to
# BASE/capture. Everything (config, queue, PID files, sockets, certificate, logs) lives inside BASE,
# so runs with different BASE folders and ports do not collide. Postfix and Dovecot must be started
# as root (they drop privileges themselves).
#
#   scripts/postfix-capture.sh start BASE [--user NAME:PASSWORD]... LISTENER...
#   scripts/postfix-capture.sh stop BASE      stop Postfix and Dovecot, wait until both are gone
#
# LISTENER is NAME=PORT:TLS:AUTH, e.g. plain=2525:none:optional starttls=2587:starttls:required
#   TLS  none      STARTTLS not offered
#        may       STARTTLS offered, not required
#        starttls  STARTTLS required before MAIL ("530 5.7.0 Must issue a STARTTLS command first")
#        implicit  TLS from the first byte (smtpd_tls_wrappermode, "SMTPS")
#   AUTH off       AUTH not offered
#        optional  AUTH PLAIN/LOGIN offered; mail without it is accepted too
#        required  AUTH offered; mail without it is refused ("530 5.7.0 Authentication required")
# NAME ([a-z0-9_-]) names the listener in what is captured. --user adds a SASL account (Dovecot
# passwd-file); needed for any AUTH other than off. Neither NAME nor PASSWORD may contain ':'.
#
# What is captured, per delivery: BASE/capture/STAMP-QUEUEID.eml and then (the "complete" marker)
# BASE/capture/STAMP-QUEUEID.meta, lines KEY=VALUE: stamp, queue_id, listener, sender, client_address,
# client_port, client_helo, client_protocol, sasl_method, sasl_username, size, and one recipient= per
# recipient. The .eml is the queue file's content as pipe(8) writes it with eol=\r\n and no flags:
# the DATA section as the client sent it (dot-unstuffing undone by smtpd, every line ended with CRLF
# again, see below), preceded by exactly one header, the Received: that this smtpd prepended
# ("by capture.postvault.test (Postfix) with ... id QUEUEID"), which test/support/postfix-capture.ts
# splits off. No Return-Path/Delivered-To/X-Original-To (pipe flags R/D/O are not set), nothing else
# added (local_header_rewrite_clients is empty, so no Date/Message-ID/From/To is added), nothing
# removed (message_drop_headers is empty: Postfix otherwise drops Bcc, Content-Length,
# Resent-Bcc and Return-Path, which an archived message being resent may carry).
#
# Line ends (CRLF, chosen because SMTP has no other): Postfix stores lines without their ends, and
# pipe(8) ends each with eol=\r\n. A client must end every DATA line with CRLF (RFC 5321), and
# smtpd_forbid_bare_newline = reject (no exclusions, so also for loopback) makes this smtpd refuse a
# bare LF ("550 5.5.2 ... Error: bare <LF> received") instead of silently taking it as a line end: so a
# message that was captured at all had CRLF everywhere, and the capture reproduces it exactly. A bare
# CR inside a line is kept (cleanup_replace_stray_cr_lf = no; Postfix 3.7.10+ would make it a space).
# Lines of any length are kept (Postfix stores a long line in pieces and writes it back whole).
#
# Two rewrites remain (Postfix's cleanup does them unconditionally; test/system/postfix-capture.test.ts
# pins them down): white space before a header's colon ("Subject :", obsolete RFC 5322 syntax) is
# removed, in any header including those of attached messages; and a message whose first line is
# not a header field (no header at all, or white space first) gets an empty line in front of it.
#
# Postfix logs to BASE/postfix.log (with each SMTP command and reply of loopback clients, which
# shows e.g. MAIL FROM's BODY=8BITMIME and SMTPUTF8 parameters), Dovecot to BASE/dovecot.log.
# PIDs: BASE/spool/pid/master.pid (Postfix), BASE/dovecot/run/master.pid (Dovecot).
set -euo pipefail

HOSTNAME_FQDN=capture.postvault.test

usage() {
  echo "usage: $0 start BASE [--user NAME:PASSWORD]... NAME=PORT:TLS:AUTH... | stop BASE" >&2
  exit 2
}

is_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

# The base folder as an absolute path without a trailing slash (main.cf needs absolute paths).
absolute() {
  [ -d "$1" ] || { echo "$0: $1 is not a folder" >&2; exit 2; }
  (cd "$1" && pwd -P)
}

pid_in() {
  [ -r "$1" ] && tr -d ' \n' <"$1" || true
}

# True when something on 127.0.0.1:PORT greets with an SMTP 220 banner.
smtp_answers() (
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  line=""
  IFS= read -r -t 5 line <&3 || true
  printf 'QUIT\r\n' >&3 2>/dev/null || true
  [[ "$line" == 220* ]]
) 2>/dev/null

# The same through TLS from the first byte (an implicit-TLS listener).
smtps_answers() {
  local line
  line="$(printf 'QUIT\r\n' | timeout 10 openssl s_client -quiet -ign_eof -connect "127.0.0.1:$1" 2>/dev/null |
    head -n 1)" || true
  [[ "$line" == 220* ]]
}

write_tls() {
  local base="$1"
  mkdir -p "$base/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$base/tls/key.pem" -out "$base/tls/cert.pem" >>"$base/control.log" 2>&1
  chmod 0600 "$base/tls/key.pem"
  chmod 0644 "$base/tls/cert.pem"
}

# Dovecot with only its auth service: a passwd-file of the --user accounts, and one unix socket
# (BASE/dovecot/run/auth-postfix) for Postfix's smtpd_sasl_path. No IMAP/POP3, no inet listener.
write_dovecot() {
  local base="$1"
  shift
  mkdir -p "$base/dovecot/run" "$base/dovecot/state"
  # Read by Dovecot's auth process, which runs as the dovecot user.
  : >"$base/dovecot/users"
  chgrp dovecot "$base/dovecot/users"
  chmod 0640 "$base/dovecot/users"
  local account
  for account in "$@"; do
    # NAME:{PLAIN}PASSWORD; the scheme prefix keeps a password starting with '{' literal.
    printf '%s:{PLAIN}%s\n' "${account%%:*}" "${account#*:}" >>"$base/dovecot/users"
  done
  cat >"$base/dovecot/dovecot.conf" <<EOF
base_dir = $base/dovecot/run
state_dir = $base/dovecot/state
log_path = $base/dovecot.log
protocols =
listen = 127.0.0.1
ssl = no
# Postfix tells Dovecot whether the session is encrypted; the "plain" listeners offer AUTH too.
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_verbose = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $base/dovecot/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=/nonexistent
}
# No anvil socket for auth penalties: otherwise, after a refused password, Dovecot delays the next
# authentication from 127.0.0.1 by seconds, even a correct one (tests do both in a row).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
}

# The pipe(8) command: the message on stdin, the envelope as arguments. Runs as nobody.
write_capture_command() {
  local base="$1"
  mkdir -p "$base/bin" "$base/capture"
  chown 65534:65534 "$base/capture"
  cat >"$base/bin/capture" <<'EOF'
#!/bin/sh
# Called by pipe(8): capture DIR QUEUE_ID LISTENER SENDER CLIENT_ADDRESS CLIENT_PORT CLIENT_HELO
#   CLIENT_PROTOCOL SASL_METHOD SASL_USERNAME SIZE RECIPIENT...
# Exit 75 (EX_TEMPFAIL) makes Postfix retry instead of bouncing.
set -u
dir=$1 id=$2
stamp=$(date +%s%N) || exit 75
name="$stamp-$id"
umask 022
cat >"$dir/.$name.eml" || exit 75
{
  printf 'stamp=%s\nqueue_id=%s\nlistener=%s\nsender=%s\nclient_address=%s\nclient_port=%s\n' \
    "$stamp" "$2" "$3" "$4" "$5" "$6"
  printf 'client_helo=%s\nclient_protocol=%s\nsasl_method=%s\nsasl_username=%s\nsize=%s\n' \
    "$7" "$8" "$9" "${10}" "${11}"
  shift 11
  for recipient in "$@"; do printf 'recipient=%s\n' "$recipient"; done
} >"$dir/.$name.meta" || exit 75
mv "$dir/.$name.eml" "$dir/$name.eml" && mv "$dir/.$name.meta" "$dir/$name.meta" || exit 75
EOF
  chmod 0755 "$base/bin/capture"
}

write_postfix() {
  local base="$1"
  shift
  # data_directory is left to Postfix: it must be created by and owned by the postfix user.
  mkdir -p "$base/etc" "$base/spool"
  cat >"$base/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $base/spool
data_directory = $base/data
maillog_file = $base/postfix.log
maillog_file_prefixes = $base
myhostname = $HOSTNAME_FQDN
mydomain = postvault.test
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
message_size_limit = 52428800
smtputf8_enable = yes
# Take the content exactly as sent: no header added for loopback clients, none removed.
local_header_rewrite_clients =
message_drop_headers =
# A bare LF is refused rather than read as a line end, and a bare CR is kept rather than replaced
# with a space (Postfix 3.7.10's anti-smuggling defaults; see the top of this script).
smtpd_forbid_bare_newline = reject
smtpd_forbid_bare_newline_exclusions =
cleanup_replace_stray_cr_lf = no
# Every accepted message goes to the capture transport (content_filter per listener, master.cf,
# naming the listener); mail Postfix makes itself (a bounce) would be captured as listener "postfix".
# (An error: transport here would make smtpd refuse every recipient.)
default_transport = capture:postfix
relay_transport = \$default_transport
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject
capture_destination_recipient_limit = 1000
capture_destination_concurrency_limit = 10
# TLS with the certificate made into BASE/tls; the Received header tells the protocol and cipher.
smtpd_tls_cert_file = $base/tls/cert.pem
smtpd_tls_key_file = $base/tls/key.pem
smtpd_tls_security_level = none
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
# SASL through Dovecot's auth service (BASE/dovecot); enabled per listener.
smtpd_sasl_type = dovecot
smtpd_sasl_path = $base/dovecot/run/auth-postfix
smtpd_sasl_auth_enable = no
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_tls_auth_only = no
broken_sasl_auth_clients = no
# No 1 s pause after each error reply (a refused AUTH, RCPT or STARTTLS-first) in tests.
smtpd_error_sleep_time = 0
# Log every SMTP command and reply of loopback clients, and the client port.
debug_peer_list = 127.0.0.1
debug_peer_level = 1
smtpd_client_port_logging = yes
EOF
  if [[ " $* " == *:required\ * ]]; then
    # The smtpd_client_restrictions of the AUTH "required" listeners (master.cf refers to it).
    echo 'capture_auth_required = permit_sasl_authenticated, check_client_access static:{530 5.7.0 Authentication required}' \
      >>"$base/etc/main.cf"
  fi
  {
    local spec name port tls auth
    for spec in "$@"; do
      name="${spec%%=*}"
      IFS=: read -r port tls auth <<<"${spec#*=}"
      echo "127.0.0.1:$port inet n - n - - smtpd"
      echo "  -o syslog_name=postfix/$name"
      echo "  -o content_filter=capture:$name"
      case "$tls" in
        none) echo "  -o smtpd_tls_security_level=none" ;;
        may) echo "  -o smtpd_tls_security_level=may" ;;
        starttls) echo "  -o smtpd_tls_security_level=encrypt" ;;
        implicit)
          echo "  -o smtpd_tls_wrappermode=yes"
          echo "  -o smtpd_tls_security_level=encrypt"
          ;;
      esac
      case "$auth" in
        off) echo "  -o smtpd_sasl_auth_enable=no" ;;
        optional) echo "  -o smtpd_sasl_auth_enable=yes" ;;
        required)
          echo "  -o smtpd_sasl_auth_enable=yes"
          echo "  -o smtpd_client_restrictions=\$capture_auth_required"
          ;;
      esac
    done
    cat <<EOF
capture   unix - n n - - pipe
  flags= eol=\\r\\n null_sender= user=nobody argv=$base/bin/capture $base/capture \${queue_id} \${nexthop} \${sender} \${client_address} \${client_port} \${client_helo} \${client_protocol} \${sasl_method} \${sasl_username} \${size} \${recipient}
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
  } >"$base/etc/master.cf"
}

start() {
  [ $# -ge 2 ] || usage
  local base_arg="$1"
  shift
  local accounts=() listeners=() needs_auth=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --user)
        [ $# -ge 2 ] || usage
        [[ "$2" =~ ^[^:[:space:]]+:[^:[:cntrl:]]+$ ]] || {
          echo "$0: --user wants NAME:PASSWORD (no ':', no white space in NAME, no ':' in PASSWORD): $2" >&2
          exit 2
        }
        accounts+=("$2")
        shift 2
        ;;
      *=*)
        [[ "$1" =~ ^[a-z0-9_-]+=([0-9]+):(none|may|starttls|implicit):(off|optional|required)$ ]] || {
          echo "$0: bad listener $1 (want NAME=PORT:none|may|starttls|implicit:off|optional|required)" >&2
          exit 2
        }
        [ "${BASH_REMATCH[3]}" = off ] || needs_auth=1
        is_port "${BASH_REMATCH[1]}" || usage
        listeners+=("$1")
        shift
        ;;
      *) usage ;;
    esac
  done
  [ ${#listeners[@]} -ge 1 ] || usage
  if [ -n "$needs_auth" ] && [ ${#accounts[@]} -eq 0 ]; then
    echo "$0: a listener offers AUTH, but no --user NAME:PASSWORD was given" >&2
    exit 2
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "$0: Postfix must be started as root" >&2
    exit 1
  fi
  local tool
  for tool in postfix openssl ${needs_auth:+dovecot}; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || {
      echo "$0: $tool is not installed (apt-get install postfix openssl dovecot-core)" >&2
      exit 1
    }
  done

  local base
  base="$(absolute "$base_arg")"
  # The daemons run as postfix, dovecot and nobody and must reach their files below BASE (mkdtemp
  # makes it 0700).
  chmod 0755 "$base"
  write_tls "$base"
  write_capture_command "$base"
  write_postfix "$base" "${listeners[@]}"

  if [ -n "$needs_auth" ]; then
    write_dovecot "$base" "${accounts[@]}"
    dovecot -c "$base/dovecot/dovecot.conf" >>"$base/control.log" 2>&1 || {
      echo "$0: dovecot -c $base/dovecot/dovecot.conf failed:" >&2
      cat "$base/control.log" "$base/dovecot.log" >&2 2>/dev/null || true
      exit 1
    }
    local deadline=$((SECONDS + 30))
    until [ -S "$base/dovecot/run/auth-postfix" ]; do
      if [ $SECONDS -ge $deadline ]; then
        echo "$0: Dovecot's auth socket did not appear within 30 s" >&2
        cat "$base/dovecot.log" >&2 2>/dev/null || true
        exit 1
      fi
      sleep 0.05
    done
  fi

  postfix -c "$base/etc" start >>"$base/control.log" 2>&1 || {
    echo "$0: postfix -c $base/etc start failed:" >&2
    cat "$base/control.log" "$base/postfix.log" >&2 2>/dev/null || true
    exit 1
  }
  local spec port tls deadline=$((SECONDS + 30))
  for spec in "${listeners[@]}"; do
    IFS=: read -r port tls _ <<<"${spec#*=}"
    until if [ "$tls" = implicit ]; then smtps_answers "$port"; else smtp_answers "$port"; fi; do
      if [ $SECONDS -ge $deadline ] || grep -q ' fatal: ' "$base/postfix.log" 2>/dev/null; then
        echo "$0: the Postfix smtpd on 127.0.0.1:$port did not answer:" >&2
        cat "$base/postfix.log" >&2 2>/dev/null || true
        exit 1
      fi
      sleep 0.1
    done
  done
  echo "postfix capture running: ${listeners[*]}, master pid $(pid_in "$base/spool/pid/master.pid"), base $base"
}

# Waits until PID is gone; after TIMEOUT seconds runs the rest of the arguments (a harder stop).
wait_gone() {
  local pid="$1" timeout="$2" what="$3"
  shift 3
  local deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "$0: $what $pid did not stop within $timeout s; killing it" >&2
      "$@" || kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      return 0
    fi
    sleep 0.1
  done
}

stop() {
  [ $# -eq 1 ] || usage
  local base postfix_pid dovecot_pid
  base="$(absolute "$1")"
  postfix_pid="$(pid_in "$base/spool/pid/master.pid")"
  dovecot_pid="$(pid_in "$base/dovecot/run/master.pid")"
  if [ -f "$base/etc/main.cf" ]; then
    postfix -c "$base/etc" stop >>"$base/control.log" 2>&1 || true
  fi
  [ -z "$dovecot_pid" ] || kill -TERM "$dovecot_pid" 2>/dev/null || true
  [ -z "$postfix_pid" ] || wait_gone "$postfix_pid" 20 "the Postfix master" \
    postfix -c "$base/etc" abort
  [ -z "$dovecot_pid" ] || wait_gone "$dovecot_pid" 20 "the Dovecot master" \
    kill -KILL "$dovecot_pid"
}

[ $# -ge 1 ] || usage
command="$1"
shift
case "$command" in
  start) start "$@" ;;
  stop) stop "$@" ;;
  *) usage ;;
esac
