// Money on screen before the API prices it: decimal strings multiplied and added with BigInt (never floats),
// rounded half up to the cent as the API does, so the preview matches what the order will say.

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

export function isDecimal(value: string): boolean {
  return DECIMAL.test(value.trim());
}

function parse(value: string): { digits: bigint; scale: number } {
  const match = DECIMAL.exec(value.trim());
  if (!match) throw new Error(`not a decimal: ${value}`);
  const fraction = match[2] ?? "";
  return { digits: BigInt(match[1] + fraction), scale: fraction.length };
}

function cents(value: string): bigint {
  const { digits, scale } = parse(value);
  if (scale <= 2) return digits * 10n ** BigInt(2 - scale);
  const divisor = 10n ** BigInt(scale - 2);
  const whole = digits / divisor;
  return 2n * (digits % divisor) >= divisor ? whole + 1n : whole;
}

function fromCents(value: bigint): string {
  const text = value.toString().padStart(3, "0");
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}

/** price × quantity, half up to the cent ("12.35" × 3 -> "37.05"). */
export function lineAmount(price: string, quantity: number): string {
  const { digits, scale } = parse(price);
  const product = digits * BigInt(Math.trunc(quantity));
  return fromCents(cents(scale ? `${product / 10n ** BigInt(scale)}.${(product % 10n ** BigInt(scale)).toString().padStart(scale, "0")}` : product.toString()));
}

export function sumAmounts(amounts: string[]): string {
  return fromCents(amounts.reduce((total, amount) => total + cents(amount), 0n));
}

/** Two decimal strings equal as numbers ("12.5" and "12.50"). */
export function sameAmount(a: string, b: string): boolean {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  return x.digits * 10n ** BigInt(scale - x.scale) === y.digits * 10n ** BigInt(scale - y.scale);
}
