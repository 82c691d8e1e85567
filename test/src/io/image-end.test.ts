/** Where the first PNG or JPEG of a byte stream ends: what a pipe of several pictures is told by. */
import t from 'tap';
import sharp from 'sharp';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstImageEnd } from '../../../src/io/image-end.js';
import { packageRoot } from '../../../src/paths.js';

const image = (name: string) => readFileSync(join(packageRoot(), 'fixtures', 'images', name));

t.test('PNG and JPEG (baseline, progressive, with restart markers) end where their bytes end', async (t) => {
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
