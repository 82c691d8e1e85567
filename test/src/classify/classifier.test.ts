/** What `classify` prints per frame: the top K classes, best first, and the threshold. */
import t from 'tap';
import { predictionOf } from '../../../src/classify/classifier.js';

t.test('predictions: top K best first, threshold', async (t) => {
  const p = predictionOf([0.1, 0.6, 0.3], ['a', 'b', 'c'], 2);
  t.same(p, { label: 'b', score: 0.6, top: [['b', 0.6], ['c', 0.3]] });
  const q = predictionOf([0.1, 0.45, 0.45 - 1e-6], ['a', 'b', 'c'], 3, 0.5);
  t.equal(q.label, null);
  t.same(q.top.length, 1, 'below the threshold only the best class stays');
});
