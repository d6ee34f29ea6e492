# Verify the newest snapshot before the volume may go (archive): restic check, then a sample of up to
# KODE_SAMPLE files (default 50, spread over the snapshot) restored into KODE_SCRATCH and compared byte for byte
# with the volume (read-only at KODE_SOURCE; the Kode is paused, so it cannot change). The sample's manifest
# (path, size, sha256) is stored in the repository as a snapshot of host "<KODE_HOST>.manifest".
open_repo noinit
unlock
r check >/dev/null 2>"$err" || fail "restic check found problems: $(explain)"
list=$(r snapshots --host "$KODE_HOST" --json 2>"$err") || fail "listing snapshots failed: $(explain)"
id=$(printf '%s' "$list" | jq -r 'sort_by(.time) | last | .short_id // empty')
[ -n "$id" ] || fail "no snapshot of $KODE_HOST to verify"
nodes=$(mktemp)
r ls "$id" --json 2>"$err" | jq -c 'select(.struct_type == "node" and .type == "file") | {path, size}' >"$nodes" ||
  fail "listing snapshot $id failed: $(explain)"
files=$(wc -l <"$nodes")
bytes=$(jq -s 'map(.size) | add // 0' "$nodes")
sample=$(jq -s -c --argjson n "${KODE_SAMPLE:-50}" '. as $all | (length) as $len
  | ([1, (($len / $n) | floor)] | max) as $step | [range(0; $len; $step) | $all[.]] | .[:$n]' "$nodes")
scratch="${KODE_SCRATCH:-/scratch}/verify"
rm -rf "$scratch"
mkdir -p "$scratch"
set -- restore "$id" --target "$scratch"
for p in $(printf '%s' "$sample" | jq -r '.[].path | @base64'); do set -- "$@" --include "$(printf '%s' "$p" | base64 -d)"; done
[ "$files" -eq 0 ] || r "$@" >/dev/null 2>"$err" || fail "test restore of snapshot $id failed: $(explain)"
manifest=$(mktemp)
for p in $(printf '%s' "$sample" | jq -r '.[].path | @base64'); do
  path=$(printf '%s' "$p" | base64 -d)
  [ -f "$scratch$path" ] || fail "verification of $id: $path did not come back from the test restore"
  cmp -s "$scratch$path" "$path" || fail "verification of $id: $path differs between the snapshot and the volume"
  sum=$(sha256sum "$scratch$path" | cut -d ' ' -f 1)
  jq -cn --arg path "$path" --argjson size "$(wc -c <"$scratch$path")" --arg sha256 "$sum" '{path: $path, size: $size, sha256: $sha256}' >>"$manifest"
done
rm -rf "$scratch"
doc=$(jq -s -c --arg id "$id" --argjson files "$files" --argjson bytes "$bytes" '{snapshot: $id, files: $files, bytes: $bytes, sample: .}' "$manifest")
msnap=$(printf '%s' "$doc" | r backup --stdin --stdin-filename kode-manifest.json --host "$KODE_HOST.manifest" --tag "verified-$id" --json 2>"$err" |
  jq -r 'select(.message_type == "summary") | .snapshot_id[0:8]') || fail "storing the manifest failed: $(explain)"
jq -cn --arg id "$id" --argjson files "$files" --argjson bytes "$bytes" --argjson sampled "$(wc -l <"$manifest")" \
  --arg manifest "$msnap" --arg sha "$(printf '%s' "$doc" | sha256sum | cut -d ' ' -f 1)" \
  '{ok: true, snapshot: $id, files: $files, bytes: $bytes, sampled: $sampled, manifestSnapshot: $manifest, manifestSha256: $sha}' >"$KODE_RESULT"
