/**
 * The error function and the standard normal distribution in float64, accurate to a few ulps
 * (measured against mpmath: erf within 5e−16 relative, erfc within 2e−15 down to 1e−300, Φ⁻¹
 * and erfinv within 1e−15; test/src/math/normal.test.ts).
 *
 * WaLLoC's bottleneck compands latents through the Gaussian CDF (`ToUniform`) and back through its
 * inverse (`ToNormal`); PyTorch computes both as `0.5·(1 + erf(x/√2))` and `√2·erfinv(2p − 1)`.
 * JavaScript has no `Math.erf`, and the usual 7-digit textbook approximations (Abramowitz–Stegun
 * 7.1.26) would move latents that sit near a rounding boundary by a whole quantization step, so
 * these are written for full double precision:
 *
 * - `erf` for |x| < 2 sums Kummer's series erf(x) = 2x/√π · e^(−x²) · Σ (2x²)^n / (2n+1)!!, whose
 *   terms are all positive (no cancellation, unlike the alternating Taylor series).
 * - `erfc` for x ≥ 1 evaluates Laplace's continued fraction (even form), backwards from a fixed
 *   depth; it is relatively accurate in the far tail, where 1 − erf would be all rounding error.
 * - e^(−x²) is computed from a split x = hi + lo (hi with a 24-bit significand, so hi² is exact),
 *   because rounding x² first costs x²·2^−53 of relative accuracy: 1e-13 at x = 26.
 * - `normalQuantile` (Φ⁻¹) and `erfinv` use Wichura's algorithm AS241 (PPND16, Applied Statistics
 *   37(3), 1988), relative accuracy about 1e−16 over the whole range, fed with p − 0.5 and
 *   min(p, 1 − p) computed without rounding so that erfinv keeps full accuracy near 0 and ±1.
 *
 * All functions are allocation-free and safe to call in per-element loops.
 */

/** 2/√π. */
const TWO_OVER_SQRT_PI = 1.1283791670955126;
/** 1/√π. */
const ONE_OVER_SQRT_PI = 0.5641895835477563;
/** √2. */
export const SQRT2 = Math.SQRT2;

/** e^(−x²) without the error of rounding x² first (see the module comment). */
function expMinusSquare(x: number): number {
  const hi = Math.fround(x);
  const lo = x - hi;
  return Math.exp(-hi * hi) * Math.exp(-lo * (x + hi));
}

/** e^(−x²/2), the same way; used by Φ so that x/√2 is never squared after rounding. */
function expMinusHalfSquare(x: number): number {
  const hi = Math.fround(x);
  const lo = x - hi;
  return Math.exp(-0.5 * hi * hi) * Math.exp(-0.5 * lo * (x + hi));
}

/** Kummer's series for erf, used for |x| < 2; positive terms only, so it is accurate to a few ulps. */
function erfSeries(x: number): number {
  const z = 2 * x * x;
  let term = 1;
  let sum = 1;
  // Ratio of consecutive terms is z/(2n+1) < 1 after a few terms; stops once a term no longer
  // changes the sum (at most ~40 iterations for |x| < 2).
  for (let k = 3; k < 200; k += 2) {
    term *= z / k;
    const next = sum + term;
    if (next === sum) break;
    sum = next;
  }
  return TWO_OVER_SQRT_PI * x * expMinusSquare(x) * sum;
}

/**
 * erfc(x) for x ≥ 1 by Laplace's continued fraction
 * erfc(x) = 2x·e^(−x²)/√π · 1/(2x²+1 − 1·2/(2x²+5 − 3·4/(2x²+9 − …))).
 * Evaluated backwards from a fixed depth rather than forwards with Lentz's method: the forward
 * product accumulated 8e−15 of rounding error near x = 1.2, the backward recurrence stays below
 * 5e−16. The depth 8 + 110/x² (118 terms at x = 1, 35 at x = 2, 12 at x = 5) was checked to
 * converge to full precision against 400 terms.
 */
function erfcFraction(x: number, expTerm: number = expMinusSquare(x)): number {
  const z = 2 * x * x;
  let t = 0;
  for (let n = Math.ceil(8 + 110 / (x * x)); n >= 1; n--) {
    t = ((2 * n - 1) * (2 * n)) / (z + 1 + 4 * n - t);
  }
  return (2 * x * ONE_OVER_SQRT_PI * expTerm) / (z + 1 - t);
}

/**
 * The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, accurate to a few ulps.
 *
 * @example
 * erf(0.5); // 0.5204998778130466
 * erf(-1);  // -0.842700792949715
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 2) return erfSeries(x);
  // erfc(6) < 2.2e-17: erf rounds to ±1 beyond it.
  if (a >= 6) return x > 0 ? 1 : -1;
  const r = 1 - erfcFraction(a);
  return x > 0 ? r : -r;
}

/**
 * The complementary error function erfc(x) = 1 − erf(x), relatively accurate in the tail
 * (erfc(10) = 2.088e−45, where 1 − erf(10) would be 0).
 *
 * @example
 * erfc(3);  // 0.000022090496998585445
 * erfc(-1); // 1.8427007929497148
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < -6) return 2;
  if (x < 1) {
    // erfc ≥ 0.157 here, so 1 − erf loses at most a factor 6.4 of relative accuracy.
    if (x > -1) return 1 - erf(x);
    return 2 - erfcFraction(-x);
  }
  // Beyond 27.3, erfc underflows below the smallest subnormal.
  if (x > 27.3) return 0;
  return erfcFraction(x);
}

/**
 * The standard normal CDF Φ(x) = ½·erfc(−x/√2), relatively accurate in both tails.
 *
 * @example
 * normalCdf(0);      // 0.5
 * normalCdf(1.96);   // 0.9750021048517795
 * normalCdf(-10);    // 7.619853024160527e-24
 */
export function normalCdf(x: number): number {
  // In the lower tail the relative error of erfc(z) is 2z² times that of z, and z = −x/√2 is
  // rounded (1.5e−13 at x = −37). The fraction itself is well conditioned, so only the
  // exponential needs the unrounded argument: e^(−z²) = e^(−x²/2) computed from x.
  if (x <= -SQRT2) {
    if (x < -38.6) return 0;
    return 0.5 * erfcFraction(-x / SQRT2, expMinusHalfSquare(x));
  }
  return 0.5 * erfc(-x / SQRT2);
}

/**
 * AS241 core. `q` = p − 0.5 and `r` = min(p, 1 − p), both passed exactly by the caller so that
 * neither the centre nor the tails lose digits to the subtraction. Returns the standard normal
 * quantile. Coefficients: Wichura (1988), Algorithm AS241 PPND16.
 */
function ppnd16(q: number, r: number): number {
  if (Math.abs(q) <= 0.425) {
    const s = 0.180625 - q * q;
    return (q * (((((((2509.0809287301226727 * s + 33430.575583588128105) * s + 67265.770927008700853) * s
      + 45921.953931549871457) * s + 13731.693765509461125) * s + 1971.5909503065514427) * s
      + 133.14166789178437745) * s + 3.387132872796366608))
      / (((((((5226.495278852545561 * s + 28729.085735721942674) * s + 39307.89580009271061) * s
        + 21213.794301586595867) * s + 5394.1960214247511077) * s + 687.1870074920579083) * s
        + 42.313330701600911252) * s + 1);
  }
  if (r <= 0) return q < 0 ? -Infinity : Infinity;
  let t = Math.sqrt(-Math.log(r));
  let x: number;
  if (t <= 5) {
    t -= 1.6;
    x = (((((((7.7454501427834140764e-4 * t + 0.0227238449892691845833) * t + 0.24178072517745061177) * t
      + 1.27045825245236838258) * t + 3.64784832476320460504) * t + 5.7694972214606914055) * t
      + 4.6303378461565452959) * t + 1.42343711074968357734)
      / (((((((1.05075007164441684324e-9 * t + 5.475938084995344946e-4) * t + 0.0151986665636164571966) * t
        + 0.14810397642748007459) * t + 0.68976733498510000455) * t + 1.6763848301838038494) * t
        + 2.05319162663775882187) * t + 1);
  } else {
    t -= 5;
    x = (((((((2.01033439929228813265e-7 * t + 2.71155556874348757815e-5) * t + 0.0012426609473880784386) * t
      + 0.026532189526576123093) * t + 0.29656057182850489123) * t + 1.7848265399172913358) * t
      + 5.4637849111641143699) * t + 6.6579046435011037772)
      / (((((((2.04426310338993978564e-15 * t + 1.4215117583164458887e-7) * t + 1.8463183175100546818e-5) * t
        + 7.868691311456132591e-4) * t + 0.0148753612908506148525) * t + 0.13692988092273580531) * t
        + 0.59983220655588793769) * t + 1);
  }
  return q < 0 ? -x : x;
}

/**
 * The standard normal quantile Φ⁻¹(p) (probit), relative accuracy ~1e−16 for p in (0, 1);
 * ±Infinity at 0 and 1, NaN outside [0, 1].
 *
 * @example
 * normalQuantile(0.975);  // 1.9599639845400536
 * normalQuantile(1e-10);  // -6.361340902404056
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  const q = p - 0.5;
  return ppnd16(q, q <= 0 ? p : 1 - p);
}

/**
 * The inverse error function: erf(erfinv(y)) = y for y in (−1, 1); ±Infinity at ±1, NaN outside.
 * Computed as Φ⁻¹((1 + y)/2)/√2 with p − 0.5 = y/2 and the tail 1 − p = (1 − |y|)/2 formed
 * exactly, so it is accurate near 0 (erfinv(1e−20) = 8.86e−21) and near ±1.
 *
 * @example
 * erfinv(0.5);     // 0.4769362762044698
 * erfinv(-0.9998); // -2.6297417762102926
 */
export function erfinv(y: number): number {
  if (!(y >= -1 && y <= 1)) return NaN;
  const tail = 0.5 * (1 - Math.abs(y));
  return ppnd16(0.5 * y, tail) / SQRT2;
}

// --------------------------------------------------------------------------------------------
// A table-driven erf for hot loops whose result is stored as float32.

/** Table step of {@link erfFast}: 1/256 on [0, 6]. */
const FAST_STEPS_PER_UNIT = 256;
const FAST_LIMIT = 6;
let fastCoeffs: Float64Array | undefined;

function buildFastTable(): Float64Array {
  // Cubic Hermite per interval, from exact values and exact derivatives 2/√π·e^(−x²). Its error
  // is at most h⁴/384·max|erf⁗| ≈ 2.3e−10/384·5.7 ≈ 3.4e−12 for h = 1/256; the test measures it.
  const n = FAST_LIMIT * FAST_STEPS_PER_UNIT;
  const h = 1 / FAST_STEPS_PER_UNIT;
  const c = new Float64Array(4 * (n + 1));
  for (let i = 0; i < n; i++) {
    const x0 = i * h;
    const x1 = (i + 1) * h;
    const f0 = erf(x0);
    const f1 = erf(x1);
    const d0 = h * TWO_OVER_SQRT_PI * Math.exp(-x0 * x0);
    const d1 = h * TWO_OVER_SQRT_PI * Math.exp(-x1 * x1);
    c[4 * i] = f0;
    c[4 * i + 1] = d0;
    c[4 * i + 2] = 3 * (f1 - f0) - 2 * d0 - d1;
    c[4 * i + 3] = 2 * (f0 - f1) + d0 + d1;
  }
  c[4 * n] = 1; // x = 6 exactly
  return c;
}

/**
 * erf by cubic Hermite interpolation of {@link erf} on a 1/256 grid: absolute error below 5e−12
 * (measured 3.4e−12), about 10× faster than `erf`. For hot loops that store float32 (companding
 * a frame's latents): float32 rounding of the result is already 7.6e−6 at 127, a million times
 * more than the interpolation error, so the stored values are those of the exact function.
 * Builds its 49 KiB table on first use.
 *
 * @example
 * erfFast(0.5); // 0.5204998778130466 (±5e-12)
 */
export function erfFast(x: number): number {
  const c = fastCoeffs ?? (fastCoeffs = buildFastTable());
  const a = x < 0 ? -x : x;
  if (!(a < FAST_LIMIT)) return Number.isNaN(x) ? NaN : x > 0 ? 1 : -1;
  const s = a * FAST_STEPS_PER_UNIT;
  const i = s | 0;
  const t = s - i;
  const k = 4 * i;
  const r = (((c[k + 3] as number) * t + (c[k + 2] as number)) * t + (c[k + 1] as number)) * t + (c[k] as number);
  return x < 0 ? -r : r;
}
