#!/bin/sh
# rc.d/jaild under a stand-in for rc.subr (rc.subr here, written from
# rc.subr(8) and freebsd-src's libexec/rc/rc.subr) with stand-ins for
# daemon(8), jaild and jailctl: start, status, stop, check and the stop at
# host shutdown, as service(8) and rc.shutdown run the script.
#   rc_jaild_test.sh SOURCE_DIR
set -u
src=${1:?usage: $0 SOURCE_DIR}
here=$src/tests/unit/rc_d
RC_TEST_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/jaild-rc.XXXXXX")
export RC_TEST_ROOT
failures=0

cleanup() {
  # Whatever a failed case left running: the pid in our own pidfile only.
  if [ -s "$RC_TEST_ROOT/jaild.pid" ]; then
    kill -TERM "$(cat "$RC_TEST_ROOT/jaild.pid")" 2>/dev/null
    sleep 0.3
  fi
  rm -rf "$RC_TEST_ROOT"
}
trap cleanup EXIT INT TERM

mkdir -p "$RC_TEST_ROOT/usr/sbin" "$RC_TEST_ROOT/etc" "$RC_TEST_ROOT/conf dir"
cp "$here/daemon" "$RC_TEST_ROOT/usr/sbin/daemon"
# The script under test, with only its ". /etc/rc.subr" pointed at the stand-in.
sed "s|^\. /etc/rc\.subr\$|. '$here/rc.subr'|" "$src/rc.d/jaild" > "$RC_TEST_ROOT/jaild.rc"
grep -q "^\. '$here/rc.subr'\$" "$RC_TEST_ROOT/jaild.rc" || {
  echo "FAIL: rc.d/jaild does not source /etc/rc.subr"; exit 1; }
conf="$RC_TEST_ROOT/conf dir/jaild.conf"
echo 'state_dir = "/var/db/jaild"' > "$conf"

rc_conf() {
  cat > "$RC_TEST_ROOT/etc/rc.conf" <<CONF
jaild_enable="${1:-YES}"
jaild_config="$conf"
jaild_flags="--log-level debug"
jaild_bin="$here/jaild"
jaild_jailctl="$here/jailctl"
jaild_pidfile="$RC_TEST_ROOT/jaild.pid"
${2:-}
CONF
}

# service(8) runs the script with its argument; rc.shutdown sources it in a
# subshell after "set faststop", with its own rc_shutdown set.
service() { sh "$RC_TEST_ROOT/jaild.rc" "$1" > "$RC_TEST_ROOT/out" 2>&1; }
shutdown() {
  sh -c 'rc_shutdown=reboot; set faststop; . "$0"' "$RC_TEST_ROOT/jaild.rc" \
    > "$RC_TEST_ROOT/out" 2>&1
}

fail() { echo "FAIL: $*"; echo "--- output:"; cat "$RC_TEST_ROOT/out"; echo "--- log:";
         cat "$RC_TEST_ROOT/log" 2>/dev/null; failures=$((failures + 1)); }
has() { grep -qF -- "$2" "$RC_TEST_ROOT/$1"; }
running_pid() { [ -s "$RC_TEST_ROOT/jaild.pid" ] && cat "$RC_TEST_ROOT/jaild.pid"; }
gone() {
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
  return 1
}
wait_log() {
  for _ in $(seq 100); do has log "$1" && return 0; sleep 0.05; done
  return 1
}

echo "case: start runs daemon(8) with jaild and its flags after it"
rc_conf YES
: > "$RC_TEST_ROOT/log"
service start || fail "start exited $?"
has out "Starting jaild." || fail "no 'Starting jaild.'"
has log "daemon: [-f] [-S] [-T] [jaild] [-P] [$RC_TEST_ROOT/jaild.pid] [-R] [5] [$here/jaild] [--config] [$conf] [--log-level] [debug]" ||
  fail "daemon(8) did not get its flags, then jaild and jaild's"
wait_log "jaild: running as" || fail "jaild is not running under daemon(8)"
pid=$(running_pid) || fail "no pidfile"

echo "case: status finds daemon(8) by its pidfile and procname"
service status || fail "status exited $?"
has out "jaild is running as pid $pid." || fail "status does not say the pid"

echo "case: a second start is refused"
service start && fail "a second start succeeded"
has out "already running" || fail "no 'already running'"

echo "case: stop ends daemon(8) and jaild, and leaves the jails alone"
printf 'web  running\n' > "$RC_TEST_ROOT/jails"
service stop || fail "stop exited $?"
gone "$pid" || fail "daemon(8) still runs after stop"
wait_log "jaild: SIGTERM" || fail "jaild did not get SIGTERM"
has log "jailctl:" && fail "a plain stop stopped jails"
service status && fail "status after stop succeeded"
has out "jaild is not running." || fail "status after stop does not say so"

echo "case: at shutdown the running jails are stopped first, one by one"
: > "$RC_TEST_ROOT/log"
service start || fail "start exited $?"
pid=$(running_pid) || fail "no pidfile"
printf 'web  running\ndb  stopped\napp  running\n' > "$RC_TEST_ROOT/jails"
shutdown || fail "faststop at shutdown exited $?"
has log "jailctl: stop web" || fail "web was not stopped"
has log "jailctl: stop app" || fail "app was not stopped"
has log "jailctl: stop db" && fail "a stopped jail was stopped again"
gone "$pid" || fail "daemon(8) still runs after the shutdown stop"

echo "case: jaild_shutdown_jails=NO leaves the jails to init"
rc_conf YES 'jaild_shutdown_jails="NO"'
: > "$RC_TEST_ROOT/log"
service start || fail "start exited $?"
pid=$(running_pid) || fail "no pidfile"
shutdown || fail "faststop exited $?"
has log "jailctl:" && fail "jails were stopped with jaild_shutdown_jails=NO"
gone "$pid" || fail "daemon(8) still runs"

echo "case: a configuration that jaild --check refuses stops the start"
rc_conf YES
echo bad > "$conf"
: > "$RC_TEST_ROOT/log"
service start && fail "start with a bad configuration succeeded"
has log "daemon:" && fail "daemon(8) ran with a bad configuration"
[ -e "$RC_TEST_ROOT/jaild.pid" ] && fail "a pidfile with a bad configuration"
echo 'state_dir = "/var/db/jaild"' > "$conf"

echo "case: check runs jaild --check with the configuration"
service check || fail "check exited $?"
has out "configuration ok" || fail "check did not run jaild --check"

echo "case: not enabled, start does nothing"
rc_conf NO
: > "$RC_TEST_ROOT/log"
service start || fail "start when disabled exited $?"
has out "Cannot 'start' jaild." || fail "no 'Cannot start'"
has log "daemon:" && fail "daemon(8) ran though jaild_enable=NO"

[ $failures -eq 0 ] && echo "all cases passed"
exit $((failures > 0))
