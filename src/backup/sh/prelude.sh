# Shared by every backup script: restic with the optional CA, failures as JSON results, restic errors
# explained for users, opening (or creating, only when S3 says it does not exist) the repository.
set -eu
KODE_RESULT="${KODE_RESULT:-/dev/termination-log}"
err=$(mktemp)
r() { if [ -n "${KODE_CACERT:-}" ]; then restic --cacert "$KODE_CACERT" "$@"; else restic "$@"; fi; }
fail() {
  printf 'kode: %s\n' "$1" >&2
  jq -cn --arg e "$1" '{ok: false, error: $e}' > "$KODE_RESULT"
  exit 1
}
first() { grep -m 1 -i "$1" "$err" | sed 's/^Fatal: //'; }
explain() {
  if grep -q "wrong password or no key found" "$err"; then
    echo "the repository password does not open $RESTIC_REPOSITORY (was its password Secret replaced? the old one is needed)"
  elif grep -q "specified bucket does not exist" "$err"; then
    echo "the bucket of $RESTIC_REPOSITORY does not exist"
  elif grep -qi "access key id you provided does not exist\|SignatureDoesNotMatch\|Access Denied\|InvalidAccessKeyId" "$err"; then
    echo "S3 refused the credentials: $(first 'access key\|signature\|denied')"
  elif grep -qi "dial tcp\|connection refused\|no such host\|i/o timeout\|x509\|certificate" "$err"; then
    echo "S3 endpoint unreachable: $(first 'dial tcp\|connection refused\|no such host\|timeout\|x509\|certificate')"
  elif grep -q "The specified key does not exist" "$err"; then
    echo "there is no restic repository at $RESTIC_REPOSITORY"
  else
    grep -v '^$' "$err" | tail -n 1 | sed 's/^Fatal: //'
  fi
}
# $1 = init: create the repository when (and only when) S3 says it does not exist yet. A wrong password, a
# missing bucket or unreachable S3 never leads to a new repository over an old one.
open_repo() {
  if r cat config >/dev/null 2>"$err"; then return 0; fi
  if [ "$1" = init ] && grep -q "The specified key does not exist" "$err"; then
    r init >/dev/null 2>"$err" || fail "restic init failed: $(explain)"
    return 0
  fi
  fail "$(explain)"
}
# The operator runs one Job per Kode at a time, so a lock left by an interrupted run is stale.
unlock() { r unlock --remove-all >/dev/null 2>&1 || true; }
