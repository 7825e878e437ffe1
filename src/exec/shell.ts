// `$` with a `shell`: the template's literal text goes to the shell unchanged and
// every ${value} is quoted so that sh reads it back as exactly that text. Quoting
// only holds where sh reads a plain word (or inside '…' or "…", which get their own
// escaping), so the literal text is scanned the way sh tokenises it, and a value
// anywhere else — a comment, a here-document, backquotes, $((…)), ${…}, right after
// a backslash or a $ — is refused instead of being guessed at.
/** Shells that read POSIX single quotes (and double quotes) the way sh does. */
const SH_FAMILY = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'ksh93',
  'mksh',
  'lksh',
  'pdksh',
  'oksh',
  'ash',
  'yash',
  'posh',
]);

/** The shell that `shell: true` or a path means, for messages. */
export function shellName(shell: true | string): string {
  if (shell !== true) return shell;
  return process.platform === 'win32' ? process.env.ComSpec || 'cmd.exe' : '/bin/sh';
}

/** Whether `shell` is one whose quoting `$` knows (by its file name: /bin/bash, zsh, dash.exe …). */
export function isShCompatible(shell: true | string): boolean {
  if (shell === true) return process.platform !== 'win32';
  const base = shell
    .split(/[\\/]/)
    .pop()!
    .toLowerCase()
    .replace(/\.exe$/, '');
  return SH_FAMILY.has(base);
}

/** One sh word that is exactly `s`: '…' with each ' written as '\''. */
export function quoteSh(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

const NONE = 0;
const SINGLE = 1;
const DOUBLE = 2;
type Quote = typeof NONE | typeof SINGLE | typeof DOUBLE;

/** A nesting level: the top level, $(…) or (…), ${…}, $((…)) or ((…)). */
interface Frame {
  kind: 'top' | 'sub' | 'param' | 'arith';
  quote: Quote;
  /** open parentheses (arith) or braces (param) */
  depth: number;
  /** opened by `$`, so its end continues a word */
  dollar: boolean;
}

interface Heredoc {
  word: string;
  strip: boolean;
}

const BLANK = /[ \t]/;
const OPERATOR = /[;&|<>()]/;

/**
 * Follows sh's tokenising of literal text closely enough to tell where a value may
 * go. Where it cannot be sure (backquotes, $'…', `case` inside $(…)), it stops and
 * every later value is refused: refusing is always the safe answer.
 */
export class ShellScanner {
  readonly #frames: Frame[] = [{ kind: 'top', quote: NONE, depth: 0, dollar: false }];
  #wordStart = true;
  #word = '';
  #comment = false;
  /** a backslash (or `$`) ended the text so far: the next character belongs to it */
  #escape = false;
  #dollar = false;
  /** here-documents whose delimiter was read and whose body starts at the next newline */
  readonly #pending: Heredoc[] = [];
  #body: Heredoc | undefined;
  #line = '';
  #delimiter: { strip: boolean; word: string; started: boolean; quote: Quote; escape: boolean } | undefined;
  #unknown: string | undefined;

  /** Where a value may not go, as a phrase for the error; else the quoting in force there. */
  where(): { blocked: string } | { quote: Quote } {
    if (this.#unknown) return { blocked: `after ${this.#unknown}, which spindle does not parse` };
    if (this.#body) return { blocked: 'inside a here-document' };
    if (this.#delimiter) return { blocked: "in a here-document's delimiter" };
    if (this.#comment) return { blocked: 'inside a comment' };
    if (this.#escape) return { blocked: 'right after a backslash' };
    if (this.#dollar) return { blocked: 'right after a $' };
    const f = this.#top();
    if (f.kind === 'param') return { blocked: 'inside $\u007B…}' };
    if (f.kind === 'arith') return { blocked: 'inside an arithmetic expression ((…))' };
    return { quote: f.quote };
  }

  /** A value was written where `where()` allowed it; `empty` when it wrote nothing (an empty array). */
  placed(empty: boolean): void {
    if (empty || this.#top().quote !== NONE) return;
    this.#wordStart = false;
    this.#word = '\0'; // not a keyword
  }

  #top(): Frame {
    return this.#frames[this.#frames.length - 1]!;
  }

  #stop(what: string): void {
    this.#unknown ??= what;
  }

  /** An unquoted newline: here-document bodies start after it. */
  #newline(): void {
    this.#endWord();
    this.#wordStart = true;
    if (this.#pending.length > 0) this.#body = this.#pending.shift();
  }

  #endWord(): void {
    if (this.#word === 'case' && this.#top().kind === 'sub') this.#stop('`case` inside (…) or $(…)');
    this.#word = '';
  }

  /** Consumes literal text of the template. */
  feed(s: string): void {
    for (let i = 0; i < s.length && !this.#unknown; i++) {
      const c = s[i]!;
      if (this.#escape) {
        this.#escape = false;
        if (c !== '\n' && this.#top().quote === NONE) this.#wordStart = false;
        continue;
      }
      if (this.#dollar) {
        this.#dollar = false;
        i = this.#afterDollar(s, i);
        continue;
      }
      if (this.#body) {
        this.#bodyChar(c);
        continue;
      }
      if (this.#delimiter) {
        if (!this.#delimiterChar(c)) i--; // the character that ended the word is read again
        continue;
      }
      if (this.#comment) {
        if (c === '\n') {
          this.#comment = false;
          this.#newline();
        }
        continue;
      }
      const f = this.#top();
      if (f.kind === 'param') i = this.#paramChar(f, s, i);
      else if (f.kind === 'arith') i = this.#arithChar(f, s, i);
      else if (f.quote === SINGLE) {
        if (c === "'") f.quote = NONE;
      } else if (f.quote === DOUBLE) i = this.#doubleChar(f, s, i);
      else i = this.#codeChar(f, s, i);
    }
  }

  /**
   * What follows a `$`, from `j` (the next character): $( $(( ${ $' or nothing special.
   * Returns the index of the last character it used (j - 1 when none).
   */
  #afterDollar(s: string, j: number): number {
    if (j >= s.length) {
      this.#dollar = true;
      return j - 1;
    }
    const next = s[j];
    if (next === '(' && s[j + 1] === '(') {
      this.#frames.push({ kind: 'arith', quote: NONE, depth: 2, dollar: true });
      return j + 1;
    }
    if (next === '(') {
      this.#frames.push({ kind: 'sub', quote: NONE, depth: 0, dollar: true });
      this.#wordStart = true;
      return j;
    }
    if (next === '{') {
      this.#frames.push({ kind: 'param', quote: NONE, depth: 1, dollar: true });
      return j;
    }
    if (next === "'" && this.#top().quote === NONE) this.#stop("$'…' (its quoting differs between shells)");
    return j - 1;
  }

  #codeChar(f: Frame, s: string, i: number): number {
    const c = s[i]!;
    const wasStart = this.#wordStart;
    if (c === '\n') {
      this.#newline();
      return i;
    }
    if (BLANK.test(c)) {
      this.#endWord();
      this.#wordStart = true;
      return i;
    }
    if (c === '#' && this.#wordStart) {
      this.#endWord();
      this.#comment = true;
      return i;
    }
    if (OPERATOR.test(c)) {
      this.#endWord();
      this.#wordStart = true;
      if (c === '(') {
        if (s[i + 1] === '(') {
          this.#frames.push({ kind: 'arith', quote: NONE, depth: 2, dollar: false });
          return i + 1;
        }
        this.#frames.push({ kind: 'sub', quote: NONE, depth: 0, dollar: false });
      } else if (c === ')') {
        if (f.kind === 'sub') {
          this.#frames.pop();
          this.#wordStart = !f.dollar;
        }
      } else if (c === '<' && s[i + 1] === '<') {
        if (s[i + 2] === '<') return i + 2; // <<< here-string: a plain word follows
        const strip = s[i + 2] === '-';
        this.#delimiter = { strip, word: '', started: false, quote: NONE, escape: false };
        return strip ? i + 2 : i + 1;
      }
      return i;
    }
    this.#wordStart = false;
    if (c === "'") f.quote = SINGLE;
    else if (c === '"') f.quote = DOUBLE;
    else if (c === '`') this.#stop('`…` (backquotes; use $(…))');
    else if (c === '\\') {
      if (i + 1 >= s.length) this.#escape = true;
      else if (s[i + 1] === '\n') this.#wordStart = wasStart; // a line continuation
      return i + 1;
    } else if (c === '$') return this.#afterDollar(s, i + 1);
    else this.#word += c;
    return i;
  }

  #doubleChar(f: Frame, s: string, i: number): number {
    const c = s[i]!;
    if (c === '"') f.quote = NONE;
    else if (c === '`') this.#stop('`…` (backquotes; use $(…))');
    else if (c === '\\') {
      if (i + 1 >= s.length) this.#escape = true;
      return i + 1;
    } else if (c === '$') return this.#afterDollar(s, i + 1);
    return i;
  }

  #paramChar(f: Frame, s: string, i: number): number {
    const c = s[i]!;
    if (c === '}') {
      if (--f.depth === 0) {
        this.#frames.pop();
        this.#wordStart = false;
      }
    } else if (c === '$' && s[i + 1] === '{') {
      f.depth++;
      return i + 1;
    } else if (c === '\\') {
      if (i + 1 >= s.length) this.#escape = true;
      return i + 1;
    } else if (c === "'" || c === '"' || c === '`' || c === '(' || c === '{')
      this.#stop('quotes or brackets inside $\u007B…}');
    return i;
  }

  #arithChar(f: Frame, s: string, i: number): number {
    const c = s[i]!;
    if (c === '(') f.depth++;
    else if (c === ')') {
      if (--f.depth === 0) {
        this.#frames.pop();
        this.#wordStart = !f.dollar;
      }
    } else if (c === "'" || c === '"' || c === '`' || c === '\\') this.#stop('quotes inside ((…))');
    return i;
  }

  /** One character of a here-document's delimiter word; false when it ended the word (not used). */
  #delimiterChar(c: string): boolean {
    const d = this.#delimiter!;
    if (d.escape) {
      d.escape = false;
      d.word += c;
      return true;
    }
    if (d.quote === SINGLE) {
      if (c === "'") d.quote = NONE;
      else d.word += c;
      return true;
    }
    if (d.quote === DOUBLE) {
      if (c === '"') d.quote = NONE;
      else if (c === '\\') d.escape = true;
      else d.word += c;
      return true;
    }
    if (BLANK.test(c) && !d.started) return true;
    if (BLANK.test(c) || c === '\n' || OPERATOR.test(c)) {
      this.#delimiter = undefined;
      if (!d.started) this.#stop('<< without a delimiter');
      else this.#pending.push({ word: d.word, strip: d.strip });
      this.#wordStart = false;
      return false;
    }
    d.started = true;
    if (c === "'") d.quote = SINGLE;
    else if (c === '"') d.quote = DOUBLE;
    else if (c === '\\') d.escape = true;
    else d.word += c;
    return true;
  }

  #bodyChar(c: string): void {
    if (c !== '\n') {
      this.#line += c;
      return;
    }
    const h = this.#body!;
    const line = h.strip ? this.#line.replace(/^\t+/, '') : this.#line;
    this.#line = '';
    if (line === h.word) {
      this.#body = this.#pending.shift();
      this.#wordStart = true;
    }
  }
}
