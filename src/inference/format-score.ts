/**
 * Scores as Triton's classification extension writes them: C++ `std::to_string`, i.e. printf's `%f` (six decimals,
 * correctly rounded, ties to even) for floating-point values and plain decimal digits for integers.
 */

const SCALE = 1_000_000n;
const view = new DataView(new ArrayBuffer(8));

/** |x| as mantissa × 2^exponent, exactly (x finite). */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  return biased === 0
    ? { mantissa: fraction, exponent: -1074 }
    : { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/** round(|x| × 10^6), ties to even, computed exactly. */
function scaledMicros(x: number): bigint {
  const { mantissa, exponent } = decompose(x);
  if (exponent >= 0) return (mantissa << BigInt(exponent)) * SCALE;
  const shift = BigInt(-exponent);
  const numerator = mantissa * SCALE;
  let q = numerator >> shift;
  const twiceRemainder = (numerator - (q << shift)) * 2n;
  const half = 1n << shift;
  if (twiceRemainder > half || (twiceRemainder === half && (q & 1n) === 1n)) q += 1n;
  return q;
}

/** `x` with six decimals, as printf("%f") writes it (`nan`, `inf`, `-0.000000` included). */
export function formatFixed6(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const digits = scaledMicros(x).toString().padStart(7, '0');
  return `${sign}${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

/** A score as text: six decimals for floating-point values, exact digits for integers (bigint included). */
export function formatScore(value: number | bigint, floating: boolean): string {
  return floating ? formatFixed6(Number(value)) : String(value);
}
