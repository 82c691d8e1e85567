import t from 'tap';
import { megapixelsPerSecond, median, measureThroughput, timed } from '../../../src/metrics/index.js';

t.test('MP/s and median', (tt) => {
  tt.equal(megapixelsPerSecond(2_000_000, 1000), 2);
  tt.ok(Math.abs(megapixelsPerSecond(1920 * 1080, 100) - 20.736) < 1e-12);
  tt.equal(megapixelsPerSecond(1, 0), Infinity);
  tt.equal(median([3, 1, 2, 100]), 2.5);
  tt.equal(median([5, 1, 3]), 3);
  tt.ok(Number.isNaN(median([])));
  tt.end();
});

t.test('timed and measureThroughput run the function the right number of times', async (tt) => {
  const r = await timed(async () => { await new Promise((res) => setTimeout(res, 5)); return 42; });
  tt.equal(r.result, 42);
  tt.ok(r.ms >= 4);
  let calls = 0;
  const m = await measureThroughput(() => ++calls, 1e6, { repeats: 4, warmup: 2 });
  tt.equal(calls, 6);
  tt.equal(m.runsMs.length, 4);
  tt.equal(m.result, 6);
  tt.ok(m.mps > 0);
  tt.equal(m.mps, megapixelsPerSecond(1e6, m.medianMs));
  tt.end();
});
