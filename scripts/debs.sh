# Shared by the fetch scripts: download pinned Debian packages with `apt-get download` (nothing is
# installed) into a cache and extract each one once. Source it, then call
#
#   refuse_reserved "PKG1 PKG2 …" "${DEBS[@]}"    exit if a spec names a reserved package
#   fetch_debs "$CACHE" "${DEBS[@]}"               fill $CACHE/debs and $CACHE/x/NAME/
#
# Specs are name=version; a version the archive no longer carries is replaced by the current one
# with a warning ($CACHE/x/NAME/.done records the version actually used).

refuse_reserved() {
  local reserved="$1"; shift
  local spec r
  for spec in "$@"; do
    for r in $reserved; do [[ "${spec%%=*}" == "$r" ]] && { echo "reserved package $r" >&2; exit 1; }; done
  done
  return 0
}

fetch_debs() {
  local cache="$1"; shift
  local spec name deb
  mkdir -p "$cache/debs" "$cache/x"
  for spec in "$@"; do
    name="${spec%%=*}"
    if ! compgen -G "$cache/debs/${name}_*.deb" >/dev/null; then
      ( cd "$cache/debs" && { apt-get download -q "$spec" 2>/dev/null || {
          echo "warning: $spec not in the archive, taking the current $name" >&2; apt-get download -q "$name"; }; } ) || {
        echo "apt-get download $name failed (run 'apt-get update' first?)" >&2; exit 1; }
    fi
    deb="$(ls "$cache/debs/${name}"_*.deb | head -1)"
    if [[ ! -e "$cache/x/$name/.done" ]]; then
      rm -rf "$cache/x/$name"; mkdir -p "$cache/x/$name"
      dpkg-deb -x "$deb" "$cache/x/$name"
      dpkg-deb -f "$deb" Version > "$cache/x/$name/.done"
    fi
  done
}
