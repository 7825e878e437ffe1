import { invalid } from './validate.js';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
};
const PATTERN = /^(\d+(?:\.\d+)?)\s*([kmg]?b?)$/i;

/** Bytes from a size such as `512M`, `1.5GB` or `300kb` (binary units); a number is bytes already. */
export function parseBytes(option: string, value: unknown): number {
  let bytes: number | undefined;
  if (typeof value === 'number') bytes = value;
  else if (typeof value === 'string') {
    const m = PATTERN.exec(value.trim());
    if (m) bytes = Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  }
  if (bytes !== undefined && bytes >= 1 && bytes <= Number.MAX_SAFE_INTEGER) return Math.floor(bytes);
  throw invalid(option, "a size such as '512M', '1G' or '300KB' (or a number of bytes)", value);
}

/** Renders a byte count with a binary unit: 1536 → '1.5 KiB'. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number(n.toFixed(1))} ${units[i]}`;
}
