#!/usr/bin/env bash
# Assemble real recordings for training and held-out evaluation of the stereo audio codec.
#
#   scripts/fetch-audio.sh [TARGET]          (TARGET defaults to ./data/audio)
#
# Sources: Debian packages fetched with `apt-get download` (nothing is installed), cached in
# $AUDIO_CACHE (default ~/.cache/walloc-audio) and extracted there:
#   drascula-music            31 stereo 44.1 kHz music tracks (Vorbis), Drascula-License (freeware, main)
#   fretsonfire-songs-sectoid 4 songs by Sectoid as stereo 44.1 kHz stems (song.ogg + guitar.ogg), MIT-style
#   codec2-examples           real speech recordings (8 and 16 kHz mono WAV), LGPL-2.1
# The files are copied as they are (no re-encoding); `walloc train codec --modality audio` decodes
# them with ffmpeg to stereo float32 at 44.1 kHz (mono is duplicated, other rates resampled).
#
# The train/eval split is deterministic: within each source the groups (a track; a song's stems
# together; a speech file) are ordered by sha256 of the group key and the first k go to eval.
# Writes TARGET/{train,eval}/, TARGET/manifest.tsv and TARGET/licences/.
#
# Packages in shared/research/reserved.md (sonic-pi-samples, fretsonfire-songs-muldjord,
# singularity-music, wesnoth-1.16-music, asterisk-core-sounds-*, linphone-common, csoundqt-examples,
# puredata-doc, supercollider-common, …) are never touched: the script refuses them.
set -euo pipefail

TARGET="$(realpath -m "${1:-./data/audio}")"
CACHE="$(realpath -m "${AUDIO_CACHE:-$HOME/.cache/walloc-audio}")"
DEBS=(drascula-music=1.0+ds4-2 fretsonfire-songs-sectoid=1.dfsg-3.1 codec2-examples=1.0.5-1)
# shellcheck source=scripts/debs.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/debs.sh"
refuse_reserved "sonic-pi-samples fretsonfire-songs-muldjord singularity-music wesnoth-1.16-music asterisk-core-sounds-en-wav asterisk-core-sounds-fr-wav linphone-common csoundqt-examples puredata-doc supercollider-common" "${DEBS[@]}"
fetch_debs "$CACHE" "${DEBS[@]}"

rm -rf "$TARGET/train" "$TARGET/eval" "$TARGET/licences"
mkdir -p "$TARGET/train" "$TARGET/eval" "$TARGET/licences"
X="$CACHE/x"
DR="$X/drascula-music/usr/share/scummvm/drascula/audio"
FOF="$X/fretsonfire-songs-sectoid/usr/share/games/fretsonfire/data/songs/sectoid"
C2="$X/codec2-examples/usr/share/codec2/wav"

# items: source|group|path|name
items=()
for f in "$DR"/track*.ogg; do b="$(basename "$f" .ogg)"; items+=("drascula|$b|$f|drascula__$b.ogg"); done
for d in "$FOF"/*/; do
  s="$(basename "$d")"; slug="$(echo "$s" | tr 'A-Z ' 'a-z_')"
  for stem in song guitar; do [[ -e "$d/$stem.ogg" ]] && items+=("sectoid|$slug|$d/$stem.ogg|sectoid__${slug}__$stem.ogg"); done
done
for f in "$C2"/*.wav; do b="$(basename "$f" .wav)"; items+=("codec2|$b|$f|codec2__$b.wav"); done

declare -A EVAL_K=([drascula]=4 [sectoid]=1 [codec2]=2)
declare -A EVAL_GROUPS=()
for src in drascula sectoid codec2; do
  k="${EVAL_K[$src]}"
  while read -r g; do EVAL_GROUPS["$src|$g"]=1; done < <(
    for it in "${items[@]}"; do IFS='|' read -r s g _ _ <<<"$it"; [[ "$s" == "$src" ]] && echo "$g"; done | sort -u |
      while read -r g; do printf '%s %s\n' "$(printf '%s' "$src:$g" | sha256sum | cut -c1-64)" "$g"; done | sort | head -n "$k" | cut -d' ' -f2-)
done

printf 'split\tfile\tsource\tpackage\tversion\tlicence\toriginal\n' > "$TARGET/manifest.tsv"
for it in "${items[@]}"; do
  IFS='|' read -r src g path name <<<"$it"
  split=train; [[ -n "${EVAL_GROUPS[$src|$g]:-}" ]] && split=eval
  cp "$path" "$TARGET/$split/$name"
  case "$src" in
    drascula) pkg=drascula-music; lic='Drascula-License (freeware, Debian main)';;
    sectoid) pkg=fretsonfire-songs-sectoid; lic='Expat (MIT) (Carlos Viola Iborra; see copyright)';;
    codec2) pkg=codec2-examples; lic='LGPL-2.1 (codec2)';;
  esac
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$split" "$split/$name" "$src" "$pkg" "$(cat "$X/$pkg/.done")" "$lic" "${path#"$X/$pkg/"}" >> "$TARGET/manifest.tsv"
done
for p in drascula-music fretsonfire-songs-sectoid codec2-examples; do
  cp "$X/$p/usr/share/doc/$p/copyright" "$TARGET/licences/$p.copyright"
done
echo "train: $(ls "$TARGET/train" | wc -l) files, $(du -sh "$TARGET/train" | cut -f1); eval: $(ls "$TARGET/eval" | wc -l) files, $(du -sh "$TARGET/eval" | cut -f1)"
