# Restore KODE_SNAPSHOT (an id or "latest"; of KODE_FROM_HOST when restoring another Kode's backups) into
# KODE_TARGET (the home volume, read-write); only the newline-separated KODE_PATHS (relative to home) when set.
# A file the restore would replace with different content is first moved to .kode-restore-kept/<time>/<path>
# in home, so nothing newer than the snapshot is lost; files the snapshot does not have stay as they are.
# Runs once per KODE_RESTORE_ID (marker .kode-restore-done), so pod restarts do not restore again.
marker="$KODE_TARGET/.kode-restore-done"
if [ -n "${KODE_RESTORE_ID:-}" ] && [ "$(cat "$marker" 2>/dev/null || true)" = "$KODE_RESTORE_ID" ]; then
  jq -cn --arg id "$KODE_RESTORE_ID" '{ok: true, skipped: true, restoreId: $id}' >"$KODE_RESULT"
  exit 0
fi
open_repo noinit
unlock
host="${KODE_FROM_HOST:-$KODE_HOST}"
snap="${KODE_SNAPSHOT:-latest}"
if [ "$snap" = latest ]; then
  list=$(r snapshots --host "$host" --json 2>"$err") || fail "listing snapshots failed: $(explain)"
else
  list=$(r snapshots --json "$snap" 2>"$err") || fail "snapshot $snap: $(explain)"
fi
pick=$(printf '%s' "$list" | jq -c --arg host "$host" '[.[] | select(.hostname == $host)] | sort_by(.time) | last // empty')
[ -n "$pick" ] || fail "no snapshot $snap of $host in the repository"
id=$(printf '%s' "$pick" | jq -r .short_id)
time=$(printf '%s' "$pick" | jq -r .time)
stage="$KODE_TARGET/.kode-restore/$id"
rm -rf "$KODE_TARGET/.kode-restore"
mkdir -p "$stage"
set -- restore "$id" --target "$stage"
if [ -n "${KODE_PATHS:-}" ]; then
  while IFS= read -r p; do [ -n "$p" ] && set -- "$@" --include "$KODE_SOURCE/$p"; done <<EOF
$KODE_PATHS
EOF
fi
r "$@" >/dev/null 2>"$err" || fail "restore of $id failed: $(explain)"
src="$stage$KODE_SOURCE"
[ -d "$src" ] || fail "snapshot $id has none of the paths asked for"
aside="$KODE_TARGET/.kode-restore-kept/$(date -u +%Y%m%dT%H%M%SZ)"
kept=$(mktemp)
differs() {
  if [ -L "$1" ] || [ -L "$2" ]; then [ ! -L "$1" ] || [ ! -L "$2" ] || [ "$(readlink "$1")" != "$(readlink "$2")" ]; return; fi
  if [ -d "$1" ] && [ -d "$2" ]; then return 1; fi
  if [ -f "$1" ] && [ -f "$2" ]; then ! cmp -s "$1" "$2"; return; fi
  return 0
}
(cd "$src" && find . -mindepth 1 \( -type f -o -type l -o -type d \) -print) | while IFS= read -r f; do
  rel=${f#./}
  dst="$KODE_TARGET/$rel"
  if [ -e "$dst" ] || [ -L "$dst" ]; then
    if differs "$src/$rel" "$dst"; then
      mkdir -p "$aside/$(dirname "$rel")"
      mv "$dst" "$aside/$rel"
      printf '%s\n' "$rel" >>"$kept"
    fi
  fi
done
cp -a "$src/." "$KODE_TARGET/"
restored=$(cd "$src" && find . -mindepth 1 \( -type f -o -type l \) | wc -l)
rm -rf "$KODE_TARGET/.kode-restore"
keptCount=$(wc -l <"$kept")
[ -z "${KODE_RESTORE_ID:-}" ] || printf '%s' "$KODE_RESTORE_ID" >"$marker"
jq -cn --arg id "$id" --arg time "$time" --argjson restored "$restored" --argjson kept "$keptCount" \
  --arg aside "${aside#"$KODE_TARGET"/}" --arg paths "${KODE_PATHS:-}" --arg rid "${KODE_RESTORE_ID:-}" \
  '{ok: true, snapshot: $id, time: $time, restored: $restored, keptAside: $kept,
    keptAsideDir: (if $kept > 0 then $aside else null end),
    paths: ($paths | split("\n") | map(select(. != ""))), restoreId: $rid}' >"$KODE_RESULT"
