# Back up KODE_SOURCE with KODE_TAG (scheduled, manual, before-pause, archive), apply retention
# (KODE_FORGET_ARGS, e.g. "--keep-last 7 --keep-daily 7"), report the snapshot, bytes and the newest snapshots
# with their sizes.
open_repo init
unlock
out=$(mktemp)
r backup "$KODE_SOURCE" --host "$KODE_HOST" --tag "${KODE_TAG:-manual}" --exclude "$KODE_SOURCE/.kode-restore" --json >"$out" 2>"$err" ||
  fail "backup failed: $(explain)"
summary=$(jq -c 'select(.message_type == "summary")' "$out" | tail -n 1)
[ -n "$summary" ] || fail "backup failed: restic reported no summary"
if [ -n "${KODE_FORGET_ARGS:-}" ]; then
  # shellcheck disable=SC2086 # the operator renders integer flags only
  r forget --host "$KODE_HOST" $KODE_FORGET_ARGS --prune >/dev/null 2>"$err" || fail "retention (forget --prune) failed: $(explain)"
fi
snaps=$(r snapshots --host "$KODE_HOST" --json 2>"$err") || fail "listing snapshots failed: $(explain)"
recent=$(printf '%s' "$snaps" | jq -c 'sort_by(.time) | reverse | .[:10] | map({id: .short_id, time: .time, tags: (.tags // [])})')
sizes="{}"
for id in $(printf '%s' "$recent" | jq -r '.[].id'); do
  size=$(r stats "$id" --json 2>/dev/null | jq '.total_size' 2>/dev/null || true)
  sizes=$(printf '%s' "$sizes" | jq -c --arg id "$id" --argjson s "${size:-null}" '. + {($id): $s}')
done
jq -cn --argjson sum "$summary" --argjson recent "$recent" --argjson sizes "$sizes" --argjson count "$(printf '%s' "$snaps" | jq length)" \
  '{ok: true, snapshot: $sum.snapshot_id[0:8], bytesAdded: $sum.data_added, bytesProcessed: $sum.total_bytes_processed,
    filesNew: $sum.files_new, filesChanged: $sum.files_changed, snapshots: $count,
    recent: [$recent[] | . + {size: $sizes[.id]}]}' >"$KODE_RESULT"
