#!/usr/bin/python3
"""Reference vectors for src/wavelets, computed with PyWavelets (mode='periodization').

Run with Debian's interpreter (apt-get install -y python3-pywt python3-numpy):
    /usr/bin/python3 test/fixtures-gen/wavelets.py

Writes fixtures/wavelets/ref.bin (float32 little-endian arrays, concatenated) and
fixtures/wavelets/index.json (one entry per case: op, wavelet, levels, shapes and the offsets of
its input and output in ref.bin, counted in float32 values). Inputs are drawn as float32 and the
references computed from those exact float32 values in float64, then rounded to float32.

The packet tree is built here the way WaLLoC builds it, by repeated single-level pywt calls on all
channels, with the channel order channel = c*K^J + f1*K^(J-1) + ... + fJ (f1 = first split):
  1-D: f = [high]                    (pywt.dwt: cA, cD)
  2-D: f = 2*[width high] + [height high]   (pywt.dwt2: cA, cH, cV, cD)
  3-D: f = 4*[width high] + 2*[height high] + [depth high]  (pywt.dwtn key read backwards)
"""
import json
import os
import sys

import numpy as np
import pywt

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures', 'wavelets')
MODE = 'periodization'
rng = np.random.default_rng(20250101)
chunks = []
cursor = 0
cases = []
seen = {}


def put(a):
    # The same input array serves every J of a packet case; store it once.
    global cursor
    if id(a) in seen:
        return seen[id(a)][1]
    src = a
    a = np.ascontiguousarray(a, dtype='<f4').ravel()
    chunks.append(a.tobytes())
    off = cursor
    cursor += a.size
    seen[id(src)] = (src, [off, int(a.size)])
    return [off, int(a.size)]


def signal(shape):
    # Smooth part + noise, so both low and high bands carry energy.
    x = rng.standard_normal(shape) * 0.3
    grids = np.meshgrid(*[np.linspace(0, 3, n) for n in shape], indexing='ij')
    x += sum(np.sin(g * (i + 1)) for i, g in enumerate(grids)) * 0.2
    return x.astype(np.float32)


def case(op, wavelet, levels, x, y, **extra):
    cases.append(dict(op=op, wavelet=wavelet, levels=levels, inShape=list(x.shape), outShape=list(y.shape),
                      input=put(x), output=put(y), **extra))


def level1(x):
    """[C, L] -> [2C, L/2]"""
    a, d = pywt.dwt(x.astype(np.float64), W, mode=MODE, axis=-1)
    return np.stack([a, d], axis=1).reshape(-1, a.shape[-1])


def level2(x):
    """[C, H, W] -> [4C, H/2, W/2], f = 2*[width high] + [height high]"""
    a, (h, v, d) = pywt.dwt2(x.astype(np.float64), W, mode=MODE, axes=(-2, -1))
    return np.stack([a, h, v, d], axis=1).reshape(-1, *a.shape[-2:])


def level3(x):
    """[C, D, H, W] -> [8C, D/2, H/2, W/2], f = 4*[width high] + 2*[height high] + [depth high]"""
    c = pywt.dwtn(x.astype(np.float64), W, mode=MODE, axes=(-3, -2, -1))
    bands = [None] * 8
    for key, v in c.items():  # key letters: depth, height, width
        f = 4 * (key[2] == 'd') + 2 * (key[1] == 'd') + (key[0] == 'd')
        bands[f] = v
    return np.stack(bands, axis=1).reshape(-1, *bands[0].shape[-3:])


def packet(x, levels, one):
    y = x.astype(np.float64)
    for _ in range(levels):
        y = one(y)
    return y


for wname in ['bior4.4', 'haar']:
    W = pywt.Wavelet(wname)
    # single level 1-D, including lengths shorter than the filter (wrap several times)
    for n in [2, 4, 6, 8, 10, 12, 64]:
        x = signal((n,))
        a, d = pywt.dwt(x.astype(np.float64), W, mode=MODE)
        case('dwt', wname, 1, x, np.concatenate([a, d]))
        ca = signal((n // 2,)); cd = signal((n // 2,))
        case('idwt', wname, 1, np.concatenate([ca, cd]), pywt.idwt(ca.astype(np.float64), cd.astype(np.float64), W, mode=MODE))
    # single level 2-D and 3-D straight from dwt2/dwtn, and their inverses on random coefficients
    for shape in [(16, 24), (2, 6), (4, 4)]:
        x = signal((1,) + shape)
        case('wpt2', wname, 1, x, level2(x), note='pywt.dwt2 bands stacked cA, cH, cV, cD')
    for shape in [(8, 8, 16), (2, 4, 6)]:
        x = signal((1,) + shape)
        case('wpt3', wname, 1, x, level3(x), note='pywt.dwtn bands in f = 4w + 2h + d order')
    cx = signal((4, 8, 12))
    case('iwpt2', wname, 1, cx, pywt.idwt2((cx[0].astype(np.float64), tuple(cx[1:].astype(np.float64))), W, mode=MODE)[None])
    cx = signal((8, 4, 4, 6))
    inv = {}
    for key in ['aaa', 'aad', 'ada', 'add', 'daa', 'dad', 'dda', 'ddd']:
        inv[key] = cx[4 * (key[2] == 'd') + 2 * (key[1] == 'd') + (key[0] == 'd')].astype(np.float64)
    case('iwpt3', wname, 1, cx, pywt.idwtn(inv, W, mode=MODE)[None])
    # packet trees
    x1 = signal((2, 512))
    for J in range(1, 9):
        case('wpt1', wname, J, x1, packet(x1, J, level1))
    x1s = signal((1, 64))
    for J in range(1, 7):
        case('wpt1', wname, J, x1s, packet(x1s, J, level1))
    x2 = signal((3, 16, 24))
    for J in range(1, 4):
        case('wpt2', wname, J, x2, packet(x2, J, level2))
    x2s = signal((1, 32, 32))
    for J in range(4, 6):
        case('wpt2', wname, J, x2s, packet(x2s, J, level2))
    x3 = signal((2, 8, 8, 16))
    for J in range(1, 4):
        case('wpt3', wname, J, x3, packet(x3, J, level3))

# numpy reflect padding, including pads wider than the axis
for n, before, after in [(5, 1, 2), (5, 7, 9), (2, 3, 3), (1, 2, 1), (30, 1, 1), (17, 7, 8)]:
    x = signal((n,))
    case('pad', None, 0, x, np.pad(x, (before, after), mode='reflect'), pad=[before, after])

os.makedirs(ROOT, exist_ok=True)
with open(os.path.join(ROOT, 'ref.bin'), 'wb') as f:
    for c in chunks:
        f.write(c)
with open(os.path.join(ROOT, 'index.json'), 'w') as f:
    json.dump(dict(generator='test/fixtures-gen/wavelets.py', pywt=pywt.__version__, numpy=np.__version__,
                   mode=MODE, dtype='float32le', cases=cases), f, indent=0)
    f.write('\n')
print(f'{len(cases)} cases, {cursor * 4} bytes', file=sys.stderr)
