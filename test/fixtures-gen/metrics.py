#!/usr/bin/python3
"""Reference values for src/metrics (PSNR, SSIM, MS-SSIM), computed on the fixture photos.

Run with Debian's interpreter (apt-get install -y python3-skimage python3-scipy python3-numpy python3-pil):
    /usr/bin/python3 test/fixtures-gen/metrics.py

Writes fixtures/metrics/reference.json: for each fixture photo, the sha256 of its decoded RGB
bytes (so the TypeScript test knows it decodes the same pixels) and, for each distortion, MSE,
PSNR, SSIM (RGB per-channel mean and BT.601 luma) and MS-SSIM.

- SSIM is scikit-image's `structural_similarity(gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False, data_range=255)` -- Wang et al. 2004 exactly.
- MS-SSIM is a numpy port of pytorch_msssim's `ms_ssim` (the one CompressAI calls, on pixels
  rounded to [0, 255] with data_range=255), since torch is not installable here. Images whose
  smaller side is <= 160 cannot take 5 scales there (it asserts); walloc then uses the largest
  number of scales L with smaller side > 10 * 2^(L-1) and the first L weights renormalised to sum
  to 1. The port below applies that same rule so the reduced values are checked too.

The distortions use integer arithmetic only, so src/metrics tests can rebuild them exactly in
TypeScript (see test/src/metrics/distort.ts): a gain/offset with a fixed pattern, a 3x3 box blur
with clamped edges, LCG noise and posterisation. No image files are written.
"""
import hashlib
import json
import os

import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures')
PHOTOS = ['chelsea_128x96.png', 'astronaut_97x131.png', 'coffee_255x171.jpg', 'nagasaki_201x133.jpg']
MS_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]


# ---- distortions (mirrored in test/src/metrics/distort.ts) --------------------------------------
def d_pattern(x):
    h, w, c = x.shape
    i = np.arange(h).reshape(h, 1, 1)
    j = np.arange(w).reshape(1, w, 1)
    k = np.arange(c).reshape(1, 1, c)
    v = (x.astype(np.int64) * 29) // 32 + (3 * i + 5 * j + 7 * k) % 11 - 5 + 8
    return np.clip(v, 0, 255).astype(np.uint8)


def d_blur(x):
    h, w, _ = x.shape
    p = np.pad(x.astype(np.int64), ((1, 1), (1, 1), (0, 0)), mode='edge')
    s = sum(p[1 + di:1 + di + h, 1 + dj:1 + dj + w] for di in (-1, 0, 1) for dj in (-1, 0, 1))
    return ((s + 4) // 9).astype(np.uint8)


def d_noise(x):
    flat = x.reshape(-1).astype(np.int64)
    out = np.empty_like(flat)
    s = 12345
    for n in range(flat.size):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        out[n] = flat[n] + (s >> 24) % 21 - 10
    return np.clip(out, 0, 255).astype(np.uint8).reshape(x.shape)


def d_posterize(x):
    return ((x // 32) * 32 + 16).astype(np.uint8)


DISTORTIONS = {'pattern': d_pattern, 'blur': d_blur, 'noise': d_noise, 'posterize': d_posterize}


# ---- pytorch_msssim port ------------------------------------------------------------------------
def gauss_1d(size=11, sigma=1.5):
    coords = np.arange(size, dtype=np.float64) - size // 2
    g = np.exp(-(coords ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def valid_filter(x, win):
    """F.conv2d with the 1-D window along W then H, padding 0 (pytorch_msssim gaussian_filter);
    an axis shorter than the window is skipped, as newer pytorch_msssim does with a warning."""
    n = win.size
    out = x
    if out.shape[1] >= n:
        out = sum(win[k] * out[:, k:out.shape[1] - n + 1 + k] for k in range(n))
    if out.shape[0] >= n:
        out = sum(win[k] * out[k:out.shape[0] - n + 1 + k, :] for k in range(n))
    return out


def ssim_cs(x, y, data_range, win):
    c1 = (0.01 * data_range) ** 2
    c2 = (0.03 * data_range) ** 2
    mu1, mu2 = valid_filter(x, win), valid_filter(y, win)
    s11 = valid_filter(x * x, win) - mu1 * mu1
    s22 = valid_filter(y * y, win) - mu2 * mu2
    s12 = valid_filter(x * y, win) - mu1 * mu2
    cs_map = (2 * s12 + c2) / (s11 + s22 + c2)
    ssim_map = ((2 * mu1 * mu2 + c1) / (mu1 * mu1 + mu2 * mu2 + c1)) * cs_map
    return ssim_map.mean(), cs_map.mean()


def avg_pool2(x):
    """F.avg_pool2d(kernel_size=2, padding=(H%2, W%2)), count_include_pad=True, floor mode."""
    ph, pw = x.shape[0] % 2, x.shape[1] % 2
    p = np.pad(x, ((ph, ph), (pw, pw)))
    oh = (x.shape[0] + 2 * ph - 2) // 2 + 1
    ow = (x.shape[1] + 2 * pw - 2) // 2 + 1
    p = p[:2 * oh, :2 * ow]
    return (p[0::2, 0::2] + p[1::2, 0::2] + p[0::2, 1::2] + p[1::2, 1::2]) / 4


def ms_ssim_scales(h, w):
    side = min(h, w)
    levels = 5
    while levels > 1 and not side > 10 * 2 ** (levels - 1):
        levels -= 1
    return levels


def ms_ssim(a, b, data_range=255.0):
    h, w, c = a.shape
    levels = ms_ssim_scales(h, w)
    weights = np.array(MS_WEIGHTS[:levels])
    if levels < 5:
        # walloc's small-image rule; at 5 scales pytorch_msssim uses the weights as given (sum 1.0001).
        weights = weights / weights.sum()
    win = gauss_1d()
    per_channel = []
    for ch in range(c):
        x = a[:, :, ch].astype(np.float64)
        y = b[:, :, ch].astype(np.float64)
        vals = []
        for lv in range(levels):
            s, cs = ssim_cs(x, y, data_range, win)
            if lv < levels - 1:
                vals.append(max(cs, 0.0))
                x, y = avg_pool2(x), avg_pool2(y)
        vals.append(max(s, 0.0))
        per_channel.append(float(np.prod(np.array(vals) ** weights)))
    return float(np.mean(per_channel)), levels


# ---- the rest -----------------------------------------------------------------------------------
def luma(x):
    x = x.astype(np.float64)
    return 0.299 * x[:, :, 0] + 0.587 * x[:, :, 1] + 0.114 * x[:, :, 2]


def skimage_ssim(a, b, channel_axis=None):
    return float(structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255,
        channel_axis=channel_axis))


def metrics(a, b):
    diff = a.astype(np.float64) - b.astype(np.float64)
    mse = float(np.mean(diff * diff))
    psnr = float('inf') if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))
    ms, levels = ms_ssim(a, b)
    ssim_rgb = skimage_ssim(a, b, channel_axis=2)
    # Cross-check of the port: its first-scale SSIM is skimage's (same window, same valid region).
    win = gauss_1d()
    first = np.mean([ssim_cs(a[:, :, c].astype(np.float64), b[:, :, c].astype(np.float64), 255.0, win)[0]
                     for c in range(a.shape[2])])
    assert abs(first - ssim_rgb) < 1e-12, (first, ssim_rgb)
    return {
        'mse': mse,
        'psnr': psnr if np.isfinite(psnr) else 'Infinity',
        'ssim_rgb': ssim_rgb,
        'ssim_luma': skimage_ssim(luma(a), luma(b)),
        'ms_ssim_rgb': ms,
        'ms_ssim_scales': levels,
    }


def main():
    out = {'generator': 'test/fixtures-gen/metrics.py',
           'skimage': __import__('skimage').__version__, 'numpy': np.__version__,
           'images': []}
    for name in PHOTOS:
        img = Image.open(os.path.join(ROOT, 'images', name))
        a = np.asarray(img.convert('RGB'), dtype=np.uint8)
        entry = {'file': name, 'width': a.shape[1], 'height': a.shape[0],
                 'rgb_sha256': hashlib.sha256(a.tobytes()).hexdigest(), 'distortions': {}}
        for dname, fn in DISTORTIONS.items():
            b = fn(a)
            m = metrics(a, b)
            m['sha256'] = hashlib.sha256(b.tobytes()).hexdigest()
            entry['distortions'][dname] = m
        out['images'].append(entry)
    os.makedirs(os.path.join(ROOT, 'metrics'), exist_ok=True)
    path = os.path.join(ROOT, 'metrics', 'reference.json')
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print('wrote', os.path.normpath(path))


if __name__ == '__main__':
    main()
