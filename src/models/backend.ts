/**
 * TensorFlow.js backend selection, in the order DESIGN.md fixes: `tfjs-node-gpu` → `tfjs-node`
 * (optional dependencies whose install downloads libtensorflow; they are simply absent where that is
 * impossible) → `wasm` (SIMD, single thread under Node) → `cpu` (pure JS, slow, always there).
 * `WALLOC_BACKEND` or `--backend` picks one explicitly. TensorFlow.js is loaded lazily: the encode
 * path is plain TypeScript and never pays for it.
 */
import { werr } from '../errors.js';

export type TfModule = typeof import('@tensorflow/tfjs');

/** User-facing backend names, in preference order. */
export const BACKENDS = ['gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** What each user-facing name registers inside TensorFlow.js. */
const TF_NAME: Record<BackendName, string> = { gpu: 'tensorflow', node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

let tfPromise: Promise<TfModule> | undefined;
let active: BackendName | undefined;

async function loadTf(): Promise<TfModule> {
  tfPromise ??= import('@tensorflow/tfjs').then((tf) => {
    // PROD silences the "install tfjs-node" banner the cpu backend prints on first use and skips
    // debug-only checks; walloc reports its backend itself (`walloc info`).
    tf.env().set('PROD', true);
    return tf;
  });
  return tfPromise;
}

/** Tries to make one backend usable; resolves false (never throws) when it cannot load here. */
async function tryBackend(tf: TfModule, name: BackendName): Promise<boolean> {
  try {
    if (name === 'gpu') await import('@tensorflow/tfjs-node-gpu' as string);
    else if (name === 'node') await import('@tensorflow/tfjs-node' as string);
    else if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    return await tf.setBackend(TF_NAME[name]);
  } catch {
    return false;
  }
}

function parseBackend(value: string): BackendName {
  if ((BACKENDS as readonly string[]).includes(value)) return value as BackendName;
  throw werr('WALLOC_ERR_INVALID_ARGUMENT', { reason: `backend "${value}" is not one of ${BACKENDS.join(', ')}` });
}

/**
 * Loads TensorFlow.js with the best backend available (or the one asked for) and returns it.
 * Later calls return the same module and backend; a later call that names another backend switches
 * the whole process to it (TensorFlow.js keeps one active backend), nets already built included.
 *
 * @example
 * const { tf, backend } = await getTf();          // best available, or $WALLOC_BACKEND
 * const { tf: tfc } = await getTf({ backend: 'cpu' });
 */
export async function getTf(opts: { backend?: string } = {}): Promise<{ tf: TfModule; backend: BackendName }> {
  const tf = await loadTf();
  const wanted = opts.backend ?? process.env.WALLOC_BACKEND;
  if (wanted !== undefined && wanted !== '') {
    const name = parseBackend(wanted);
    if (active === name) return { tf, backend: name };
    if (!(await tryBackend(tf, name))) {
      throw werr('WALLOC_ERR_BACKEND_UNAVAILABLE', { backend: name, available: (await availableBackends()).join(', ') });
    }
    active = name;
    return { tf, backend: name };
  }
  if (active !== undefined) return { tf, backend: active };
  for (const name of BACKENDS) {
    if (await tryBackend(tf, name)) {
      active = name;
      return { tf, backend: name };
    }
  }
  throw werr('WALLOC_ERR_BACKEND_UNAVAILABLE', { backend: 'any', available: 'none' });
}

/**
 * Lists the backends that can load on this machine, without changing the active one.
 *
 * @example
 * await availableBackends(); // e.g. ['wasm', 'cpu']
 */
export async function availableBackends(): Promise<BackendName[]> {
  const out: BackendName[] = [];
  for (const name of BACKENDS) {
    if (name === 'gpu' || name === 'node') {
      try {
        await import((name === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node') as string);
        out.push(name);
      } catch { /* not installed here: expected on most machines */ }
    } else {
      out.push(name);
    }
  }
  return out;
}
