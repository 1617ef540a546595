#!/usr/bin/env bash
# Fails when the repository tracks what it must not: a file over 1 MB or any executable
# binary (build outputs belong in bin/, ignored), or a key file (private keys, llmgate's
# generated master/admin/audit keys). Run by scripts/test.sh before anything else.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue
  size=$(stat -c %s "$f")
  if [ "$size" -gt 1000000 ]; then
    echo "hygiene: $f is $size bytes (over 1 MB): build outputs and data do not belong in git" >&2; bad=1
  fi
  if head -c 4 "$f" | grep -q $'^\x7fELF' || head -c 4 "$f" | grep -qE $'^(\xcf\xfa\xed\xfe|MZ)'; then
    echo "hygiene: $f is an executable binary" >&2; bad=1
  fi
  case "$(basename "$f")" in
    *.key|*.pem|*.p12|*.pfx|*.jks|id_rsa*|id_ed25519*|master.key|admin-api-key|audit.key|.env)
      echo "hygiene: $f looks like a key file" >&2; bad=1 ;;
  esac
  if head -c 100 "$f" | grep -q -- "-----BEGIN [A-Z ]*PRIVATE KEY-----"; then
    echo "hygiene: $f is a private key" >&2; bad=1
  fi
done < <(git ls-files -z)
if [ "$bad" -ne 0 ]; then
  exit 1
fi
echo "hygiene: ok ($(git ls-files | wc -l) tracked files)" >&2
