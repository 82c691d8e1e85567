/** Frames at the API's edge: kind, shape and data are checked where a frame is made. */
import t from 'tap';
import { FRAME_KINDS, expectKind, makeFrame } from '../../src/frame.js';

t.test('makeFrame checks the kind, the shape and the data length', (t) => {
  for (const kind of FRAME_KINDS) t.equal(makeFrame(kind, [1, 2], new Float32Array(2)).kind, kind);
  t.throws(() => makeFrame('banana' as never, [1], new Float32Array(1)), { code: 'WALLOC_ERR_FRAME_KIND', message: /"banana"/ });
  t.throws(() => makeFrame('image', [3, 0, 2], new Float32Array(0)), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  t.throws(() => makeFrame('image', [3, 2, 2], new Float32Array(11)), { code: 'WALLOC_ERR_FRAME_SHAPE' });
  t.throws(() => expectKind(null as never, ['image'], 'wpt'), { code: 'WALLOC_ERR_FRAME_KIND', message: /got null/ });
  t.end();
});
