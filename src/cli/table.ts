// Human output of the control commands: aligned tables that fit the terminal
// (80 columns when it is not one), compact figures, and colour only on a
// terminal without NO_COLOR (conventions rule 10).

export type Style = 'green' | 'yellow' | 'red' | 'dim' | 'bold' | 'cyan';
export type Cell = string | { text: string; style?: Style };

const CODES: Record<Style, [number, number]> = {
  green: [32, 39],
  yellow: [33, 39],
  red: [31, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

/** Wraps `text` in a colour when `on`. */
export function paint(text: string, style: Style | undefined, on: boolean): string {
  if (!on || !style) return text;
  const [open, close] = CODES[style];
  return `\x1b[${open}m${text}\x1b[${close}m`;
}

export interface Column {
  header: string;
  /** Numbers are right-aligned. */
  align?: 'left' | 'right';
  /** The one column that is cut (with '…') when the table is wider than the screen. */
  flexible?: boolean;
}

const textOf = (c: Cell) => (typeof c === 'string' ? c : c.text);
const styleOf = (c: Cell) => (typeof c === 'string' ? undefined : c.style);

/** The width tables must fit: the terminal's, or 80 columns. */
export function screenWidth(stream: NodeJS.WriteStream = process.stdout): number {
  return stream.isTTY && stream.columns ? Math.max(stream.columns, 40) : 80;
}

/** Renders rows under their headers, two spaces apart, cutting the flexible column to fit `width`. */
export function table(columns: Column[], rows: Cell[][], options: { color: boolean; width?: number }): string {
  const width = options.width ?? 80;
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => textOf(r[i] ?? '').length)));
  const total = widths.reduce((a, b) => a + b, 0) + 2 * (columns.length - 1);
  const flex = columns.findIndex((c) => c.flexible);
  if (total > width && flex >= 0)
    widths[flex] = Math.max(columns[flex]!.header.length, widths[flex]! - (total - width));
  const line = (cells: Cell[], header: boolean) =>
    columns
      .map((c, i) => {
        let text = textOf(cells[i] ?? '');
        if (text.length > widths[i]!) text = `${text.slice(0, widths[i]! - 1)}…`;
        const last = i === columns.length - 1;
        const padded = c.align === 'right' ? text.padStart(widths[i]!) : last ? text : text.padEnd(widths[i]!);
        return paint(padded, header ? 'bold' : styleOf(cells[i] ?? ''), options.color);
      })
      .join('  ')
      .trimEnd();
  return [
    line(
      columns.map((c) => c.header),
      true,
    ),
    ...rows.map((r) => line(r, false)),
  ].join('\n');
}

/** A compact duration for tables: 42s, 3m12s, 2h05m, 4d03h. */
export function age(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** A compact size: 512K, 45.1M, 1.2G. */
export function size(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-';
  const units = ['B', 'K', 'M', 'G', 'T'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 100 || i === 0 ? Math.round(n) : Number(n.toFixed(1))}${units[i]}`;
}

/** Milliseconds, compact: 0.2, 12, 1.2k (the unit is in the header). */
export function millis(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 10) return String(Number(ms.toFixed(1)));
  if (ms < 1000) return String(Math.round(ms));
  return `${Number((ms / 1000).toFixed(1))}k`;
}

/** A percentage: 0.4%, 12%, 100%. */
export function percent(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return `${value < 10 ? Number(value.toFixed(1)) : Math.round(value)}%`;
}

/** The colour of a state word. */
export function stateStyle(state: string): Style | undefined {
  if (state === 'ready' || state === 'running') return 'green';
  if (state === 'failed' || state === 'unreachable' || state === 'closed') return 'red';
  return 'yellow';
}
