import t from 'tap';
import { join } from 'node:path';
import { evalImages } from '../../../src/eval/image-eval.js';
import { packageRoot } from '../../../src/paths.js';
import { wallocMain } from '../../../src/cli/walloc.js';
import { memoryIo } from '../../helpers/io.js';

const dir = join(packageRoot(), 'fixtures', 'images');

t.test('eval on real photos: CompressAI keys, consistent rates, WebP at the same bytes', async (t) => {
  const skipped: string[] = [];
  const r = await evalImages(dir, { model: 'rgb-16x-linear', compareWebp: true, onSkip: (f) => skipped.push(f) });
  t.equal(r.images, 4);
  t.same(skipped.sort(), ['not-an-image.png', 'truncated.png'], 'broken files are reported and skipped');
  for (const key of ['bpp', 'psnr-rgb', 'ms-ssim-rgb', 'encoding_time', 'decoding_time']) t.ok(Number.isFinite(r.results[key]), key);
  for (const s of r.perImage) {
    t.equal(s.bpp, (8 * s.bytes) / (s.width * s.height));
    t.ok(s['psnr-rgb'] > 20 && s['psnr-rgb'] < 60);
    t.ok(s['ssim-rgb'] > 0.5 && s['ssim-rgb'] <= 1);
    t.ok(s.webp!.bytes <= s.bytes, 'WebP is not given more bytes than walloc used');
  }
});

t.test('walloc eval --json prints one JSON object on stdout', async (t) => {
  const io = memoryIo();
  t.equal(await wallocMain(['eval', dir, '--model', 'rgb-16x-linear', '--json', '--limit', '2'], io), 0);
  const r = JSON.parse(io.out()) as { name: string; results: Record<string, number>; perImage: unknown[] };
  t.match(r.name, /^rgb-16x-linear@/);
  t.equal(r.perImage.length, 2);
  // stderr is not a terminal here: no progress line drawn with \r and ESC[K into a log file.
  t.notMatch(io.err(), /\r|\x1b\[/);
});
