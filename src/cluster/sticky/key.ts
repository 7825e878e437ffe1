// Sticky keys: parsing the `sticky` option, and finding the key in the first
// bytes of an HTTP/1 request (a header's value or a cookie's).
import { invalid } from '../../util/validate.js';
import type { StickySpec } from '../types.js';

export type StickyKey = { kind: 'ip' } | { kind: 'header'; name: string } | { kind: 'cookie'; name: string };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const EXPECTED = "'ip', 'header:NAME' or 'cookie:NAME' (e.g. 'header:x-forwarded-for', 'cookie:sid')";

/** Validates a sticky spec such as 'ip', 'header:X-Forwarded-For' or 'cookie:sid'. */
export function parseSticky(option: string, value: unknown): StickyKey {
  if (value === 'ip') return { kind: 'ip' };
  if (typeof value === 'string') {
    const at = value.indexOf(':');
    const kind = value.slice(0, at);
    const name = value.slice(at + 1);
    if ((kind === 'header' || kind === 'cookie') && TOKEN.test(name)) {
      return { kind, name: kind === 'header' ? name.toLowerCase() : name };
    }
  }
  throw invalid(option, EXPECTED, value);
}

/** Renders a parsed key back to its spec. */
export function stickySpec(key: StickyKey): StickySpec {
  return key.kind === 'ip' ? 'ip' : `${key.kind}:${key.name}`;
}

/** Where the request head ends (after the blank line), or -1 while incomplete. */
export function headEnd(buf: Buffer): number {
  const i = buf.indexOf('\r\n\r\n', 0, 'latin1');
  return i < 0 ? -1 : i + 4;
}

function headerValues(head: string, name: string): string[] {
  const out: string[] = [];
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) out.push(line.slice(colon + 1).trim());
  }
  return out;
}

/**
 * The key a request head carries, or undefined (then the caller falls back to
 * the client IP). A header's first comma-separated entry is used, so that
 * `X-Forwarded-For: client, proxy1` keys on the client.
 */
export function keyFromHead(head: Buffer, key: StickyKey): string | undefined {
  if (key.kind === 'ip') return undefined;
  const text = head.toString('latin1');
  if (key.kind === 'header') {
    const value = headerValues(text, key.name)[0]?.split(',')[0]?.trim();
    return value || undefined;
  }
  for (const header of headerValues(text, 'cookie')) {
    for (const pair of header.split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0 && pair.slice(0, eq).trim() === key.name) {
        const value = pair.slice(eq + 1).trim();
        if (value) return value;
      }
    }
  }
  return undefined;
}
