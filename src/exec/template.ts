// The `$` tagged template. Without a shell (the default), words of the literal text
// are split on whitespace and each ${value} is exactly one argument (an array: one
// argument per element); nothing is parsed by a shell. With `shell`, the literal
// text goes to the shell unchanged and each value is quoted for it (shell.ts).
import { ExecShellQuotingError } from '../errors/index.js';
import { invalid } from '../util/validate.js';
import { type ExecOptions, normalize } from './options.js';
import { ExecProcess } from './process.js';
import type { ExecResult, Output } from './result.js';
import type { OutputOf } from './run.js';
import { isShCompatible, quoteSh, ShellScanner, shellName } from './shell.js';
import { runSync } from './sync.js';

/** `$\`cmd ${arg}\``, or `$(options)` for a template bound to those options. */
export interface Template<O extends Output = string> {
  (strings: TemplateStringsArray, ...values: unknown[]): ExecProcess<O>;
  <T extends ExecOptions>(options: T): Template<OutputOf<T>>;
  /** The same template run with `runSync`: blocks and returns the result. */
  sync(strings: TemplateStringsArray, ...values: unknown[]): ExecResult<O>;
}

function isTemplate(v: unknown): v is TemplateStringsArray {
  return Array.isArray(v) && Array.isArray((v as unknown as TemplateStringsArray).raw);
}

function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString();
  if (v !== null && typeof v === 'object' && 'stdout' in v) {
    const out = (v as { stdout: unknown }).stdout; // a result: use its output, like $(...) in a shell
    const text =
      typeof out === 'string'
        ? out
        : Buffer.isBuffer(out)
          ? out.toString()
          : Array.isArray(out) && out.every((l) => typeof l === 'string')
            ? out.join('\n') // a `lines: true` result
            : undefined;
    if (text !== undefined) return text.replace(/\r?\n$/, '');
  }
  return undefined;
}

function stringify(v: unknown, i: number): string {
  let text: string | undefined;
  try {
    text = textOf(v);
  } catch {
    // a Proxy or a getter that throws: refused like any other value we cannot read
  }
  if (text === undefined) throw invalid(`\${${i}}`, 'a string, number, boolean, array or command result', v);
  // No program can receive a NUL byte in an argument (C strings end there).
  if (text.includes('\0')) throw invalid(`\${${i}}`, 'text without NUL bytes', v);
  return text;
}

/** A value that stands alone: only blanks or the operators ; & | ( ) may touch it (in a shell). */
const ALONE_BEFORE = /(^|[\s;&|()])$/;
const ALONE_AFTER = /^($|[\s;&|()])/;

/**
 * The command line `$` hands to a sh-compatible shell: the literal text unchanged,
 * each value quoted so that the shell reads back exactly that text. Exported for tests.
 */
export function shellCommand(strings: readonly string[], values: readonly unknown[], shell: true | string): string {
  const name = shellName(shell);
  if (values.length > 0 && !isShCompatible(shell)) {
    throw new ExecShellQuotingError(
      `Cannot pass \${0} to ${name}: $ quotes values only for sh-compatible shells (sh, bash, dash, zsh, ksh); ` +
        'leave `shell` unset (values are then arguments, no shell needed) or build the command string yourself',
      name,
      0,
    );
  }
  const scan = new ShellScanner();
  let line = strings[0]!;
  scan.feed(line);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const at = scan.where();
    if ('blocked' in at) {
      throw new ExecShellQuotingError(
        `Cannot quote \${${i}} for ${name} ${at.blocked}: move it where a word of the command goes`,
        name,
        i,
      );
    }
    let text: string;
    if (Array.isArray(v)) {
      if (at.quote !== 0) {
        throw new ExecShellQuotingError(
          `Cannot quote \${${i}} for ${name}: an array is several words, and inside quotes it would be one`,
          name,
          i,
        );
      }
      if (!ALONE_BEFORE.test(line) || (i > 0 && strings[i] === '') || !ALONE_AFTER.test(strings[i + 1]!))
        throw invalid(`\${${i}}`, 'separated by spaces when it is an array', v);
      text = v.map((x) => quoteSh(stringify(x, i))).join(' ');
    } else {
      const s = stringify(v, i);
      // '…' outside quotes; inside '…' only ' needs care; inside "…" the four characters sh still reads.
      text = at.quote === 0 ? quoteSh(s) : at.quote === 1 ? s.replaceAll("'", `'\\''`) : s.replace(/[$`"\\]/g, '\\$&');
    }
    line += text;
    scan.placed(text === '');
    const next = strings[i + 1]!;
    line += next;
    scan.feed(next);
  }
  return line;
}

/** Splits a template into file and arguments. Exported for tests. */
export function parseTemplate(strings: readonly string[], values: readonly unknown[]): string[] {
  const tokens: string[] = [];
  let cur: string | undefined; // the word being built, undefined between words
  let afterArray = false;
  const flush = () => {
    if (cur !== undefined) tokens.push(cur);
    cur = undefined;
  };
  for (let i = 0; i < strings.length; i++) {
    const parts = strings[i]!.split(/[ \t\r\n]+/);
    if (afterArray && parts[0] !== '')
      throw invalid(`\${${i - 1}}`, 'separated by spaces when it is an array', values[i - 1]);
    afterArray = false;
    parts.forEach((p, j) => {
      if (j > 0) flush();
      if (p !== '') cur = (cur ?? '') + p;
    });
    if (i === values.length) break;
    const v = values[i];
    if (Array.isArray(v)) {
      if (cur !== undefined) throw invalid(`\${${i}}`, 'separated by spaces when it is an array', v);
      for (const x of v) tokens.push(stringify(x, i));
      afterArray = true;
    } else cur = (cur ?? '') + stringify(v, i);
  }
  flush();
  return tokens;
}

function bind(options: ExecOptions | undefined): Template<any> {
  const fn = (first: unknown, ...values: unknown[]): unknown => {
    if (!isTemplate(first)) {
      if (first === null || typeof first !== 'object' || Array.isArray(first))
        throw invalid('options', 'an object (or a template)', first);
      let merged: ExecOptions;
      try {
        merged = { ...options, ...(first as ExecOptions) };
      } catch {
        throw invalid('options', 'a plain object whose properties can be read', first);
      }
      normalize(merged, { stdin: 'pipe', buffer: 'auto' }); // bad options fail here, where they were given
      return bind(merged);
    }
    const o = normalize(options, { stdin: 'pipe', buffer: 'auto' });
    const [file, args] = commandOf(first, values, o.shell);
    return new ExecProcess(file, args, o);
  };
  fn.sync = (first: TemplateStringsArray, ...values: unknown[]) => {
    if (!isTemplate(first)) throw invalid('strings', 'a template (`$.sync`...``)', first);
    const o = normalize(options, { stdin: 'ignore', buffer: true }); // checked here, before the helper sees them
    const [file, args] = commandOf(first, values, o.shell);
    return runSync(file, args, options as never);
  };
  return fn as Template<any>;
}

/** The file and arguments a template means: with a shell, the quoted command line; without, its words. */
function commandOf(first: TemplateStringsArray, values: unknown[], shell: boolean | string): [string, string[]] {
  // Cooked text, as JS reads it (`\n` is a newline, so whitespace); raw where an escape is invalid.
  const strings = first.map((c, i) => c ?? first.raw[i]!);
  if (shell !== false) {
    const line = shellCommand(strings, values, shell);
    if (line.trim() === '') throw invalid('command', 'a template with a command', line);
    return [line, []];
  }
  const tokens = parseTemplate(strings, values);
  if (tokens.length === 0) throw invalid('command', 'a template with a program name', '');
  const [file, ...args] = tokens as [string, ...string[]];
  return [file, args];
}

/**
 * Tagged-template form of spawn(): `await $\`git log -n ${n} ${path}\``. No shell unless
 * `$({ shell: true })`, and then every value is quoted for it.
 */
export const $: Template = bind(undefined);
/** The same as `$`, for those who prefer a name. */
export const sh: Template = $;
