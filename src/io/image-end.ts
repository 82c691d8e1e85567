/**
 * Where the first image of a byte stream ends, for PNG and JPEG: what a decoder reads, found by
 * walking PNG chunks to IEND, or JPEG markers (and entropy-coded scans) to EOI. A pipe may carry
 * more than one picture (`cat *.png | walloc-encode -`), and sharp, like every image decoder,
 * reads the first and ignores the rest: this is how walloc notices instead of losing the others.
 */

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngEnd(b: Uint8Array): number | undefined {
  if (PNG_SIGNATURE.some((v, i) => b[i] !== v)) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 8;
  while (p + 12 <= b.length) {
    const length = dv.getUint32(p);
    const end = p + 12 + length;
    // IEND: 'I' 'E' 'N' 'D'
    if (b[p + 4] === 0x49 && b[p + 5] === 0x45 && b[p + 6] === 0x4e && b[p + 7] === 0x44) return end <= b.length ? end : undefined;
    p = end;
  }
  return undefined;
}

/** A JPEG's extent, and whether it declares more pictures after it (an MPF index in APP2). */
function jpegWalk(b: Uint8Array): { end?: number; multiPicture: boolean } {
  let multiPicture = false;
  if (b[0] !== 0xff || b[1] !== 0xd8) return { multiPicture };
  let p = 2;
  while (p + 1 < b.length) {
    if (b[p] !== 0xff) return { multiPicture }; // not at a marker: not a JPEG this walk understands
    while (b[p + 1] === 0xff && p + 2 < b.length) p++; // fill bytes before a marker
    const m = b[p + 1]!;
    if (m === 0xd9) return { end: p + 2, multiPicture }; // EOI
    if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) {
      p += 2; // markers without a length
      continue;
    }
    if (p + 4 > b.length) return { multiPicture };
    // APP2 "MPF\0": CIPA multi-picture format (camera previews, stereo views, Ultra HDR gain maps).
    if (m === 0xe2 && b[p + 4] === 0x4d && b[p + 5] === 0x50 && b[p + 6] === 0x46 && b[p + 7] === 0) multiPicture = true;
    p += 2 + ((b[p + 2]! << 8) | b[p + 3]!);
    if (m !== 0xda) continue;
    // After a scan header, entropy-coded data until a marker other than a stuffed 0xFF00 or a restart.
    while (p + 1 < b.length && !(b[p] === 0xff && b[p + 1] !== 0x00 && !(b[p + 1]! >= 0xd0 && b[p + 1]! <= 0xd7))) p++;
  }
  return { multiPicture };
}

/**
 * The offset just past the first PNG or JPEG image in `bytes`, or undefined when it is not one of
 * those or is cut short.
 *
 * @example
 * firstImageEnd(Buffer.concat([png1, png2])); // png1.length
 */
export function firstImageEnd(bytes: Uint8Array): number | undefined {
  return pngEnd(bytes) ?? jpegWalk(bytes).end;
}

/**
 * True for a JPEG that declares the pictures after it as its own (MPF: a camera's preview, the
 * other view of a stereo pair, an Ultra HDR gain map): one photo, whatever follows its EOI.
 *
 * @example
 * isMultiPictureJpeg(readFileSync('ultrahdr.jpg')); // true
 */
export function isMultiPictureJpeg(bytes: Uint8Array): boolean {
  return jpegWalk(bytes).multiPicture;
}
