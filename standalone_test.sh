#!/usr/bin/env bash
# Fails if a file of the project names the authors' private reference notes
# or a path under their shared folder (see BUILD). The words are assembled
# here so that this script does not name them itself.
set -uo pipefail
notes="kernel""-facts"
folder="shared""/"
status=0
files=0
while IFS= read -r -d '' file; do
  files=$((files + 1))
  if grep -nE "${notes}|(^|[^_A-Za-z0-9])${folder}" "$file" >/dev/null; then
    grep -nE "${notes}|(^|[^_A-Za-z0-9])${folder}" "$file" | sed "s|^|FAIL: $file:|"
    status=1
  fi
done < <(find -L . -type f -not -path './external/*' -not -name MANIFEST \
  -not -path '*/_solib*' -print0)
[ "$files" -gt 100 ] || { echo "FAIL: only $files files found"; status=1; }
[ "$status" -eq 0 ] && echo "$files files, none cites a reference outside the repository"
exit "$status"
