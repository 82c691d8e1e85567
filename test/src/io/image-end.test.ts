/** Where the first PNG or JPEG of a byte stream ends: what a pipe of several pictures is told by. */
import t from 'tap';
import sharp from 'sharp';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstImageEnd, isMultiPictureJpeg } from '../../../src/io/image-end.js';
import { packageRoot } from '../../../src/paths.js';

const image = (name: string) => readFileSync(join(packageRoot(), 'fixtures', 'images', name));

t.test('PNG and JPEG (baseline, progressive) end where their bytes end', async (t) => {
  const png = image('chelsea_128x96.png');
  const jpeg = image('coffee_255x171.jpg');
  const progressive = await sharp(jpeg).jpeg({ progressive: true, quality: 80 }).toBuffer();
  const grey = await sharp(png).greyscale().png().toBuffer();
  for (const [name, b] of [['png', png], ['grey png', grey], ['jpeg', jpeg], ['progressive jpeg', progressive]] as const) {
    t.equal(firstImageEnd(b), b.length, name);
    t.equal(firstImageEnd(Buffer.concat([b, png])), b.length, `${name} followed by a PNG`);
    t.equal(firstImageEnd(Buffer.concat([b, Buffer.alloc(100)])), b.length, `${name} followed by padding`);
  }
});

t.test('cut short, or not a PNG/JPEG: undefined', async (t) => {
  const png = image('chelsea_128x96.png');
  const jpeg = image('coffee_255x171.jpg');
  t.equal(firstImageEnd(png.subarray(0, png.length - 5)), undefined, 'PNG without the end of IEND');
  t.equal(firstImageEnd(jpeg.subarray(0, jpeg.length >> 1)), undefined, 'JPEG cut in its scan');
  t.equal(firstImageEnd(image('not-an-image.png')), undefined);
  t.equal(firstImageEnd(Buffer.alloc(0)), undefined);
});

t.test('a JPEG with restart markers in its scan ends at its EOI, not at an RST', async (t) => {
  // A real photo with a restart interval (DRI) from Debian's espeak-ng documentation.
  const { existsSync } = await import('node:fs');
  const path = '/usr/share/doc/espeak-ng/docs/images/sand-light.jpg';
  if (!existsSync(path)) { t.comment('espeak-ng documentation not installed'); return; }
  const b = readFileSync(path);
  const dri = b.indexOf(Buffer.from([0xff, 0xdd]));
  t.ok(dri > 0 && dri < 2000, 'it has a restart interval');
  let rst = 0;
  for (let i = 0; i + 1 < b.length; i++) if (b[i] === 0xff && b[i + 1]! >= 0xd0 && b[i + 1]! <= 0xd7) rst++;
  t.ok(rst > 0, `${rst} restart markers in its scan`);
  t.equal(firstImageEnd(b), b.length);
});

t.test('a multi-picture JPEG (MPF in APP2: a preview, a stereo view, a gain map) is known as one photo', async (t) => {
  const jpeg = image('coffee_255x171.jpg');
  const app2 = Buffer.from([0xff, 0xe2, 0x00, 0x08, 0x4d, 0x50, 0x46, 0x00, 0x00, 0x00]);
  const primary = Buffer.concat([jpeg.subarray(0, 2), app2, jpeg.subarray(2)]);
  const mpo = Buffer.concat([primary, image('nagasaki_201x133.jpg')]);
  t.equal(firstImageEnd(mpo), primary.length);
  t.ok(isMultiPictureJpeg(mpo));
  t.notOk(isMultiPictureJpeg(jpeg));
  t.match(await sharp(mpo).metadata(), { width: 255, height: 171 }, 'sharp reads the primary picture');
});

