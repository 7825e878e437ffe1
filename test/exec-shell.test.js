// `$` with a shell (issue 11, item 1): the literal text goes to the shell as written,
// every value is quoted so that it arrives as exactly that text, a shell whose
// quoting is not sh's is refused, and `result.command` is exactly what ran.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { $, ExecShellQuotingError, isSpindleError, run } from 'spindle/exec';
import { shellCommand } from '../dist/exec/template.js';
import { check, fc } from './helpers/fuzz.js';

const T = { timeout: 60_000 };
const shells = ['/bin/sh', '/bin/bash', '/bin/dash', '/bin/zsh', '/bin/ksh'].filter((s) => existsSync(s));

/** Every character sh treats specially, and then some. */
const HOSTILE = [
  "'",
  '"',
  '\\',
  '$',
  '`',
  '(',
  ')',
  ';',
  '&',
  '|',
  '<',
  '>',
  '#',
  '*',
  '?',
  '[',
  ']',
  '~',
  '!',
  '{',
  '}',
  '=',
  '%',
  ' ',
  '\t',
  '\n',
  '\r',
  '-',
  'a',
  'é',
  '😀',
];
const hostile = fc.string({ unit: fc.constantFrom(...HOSTILE), maxLength: 24 });
const text = fc.oneof(hostile, fc.string({ unit: 'grapheme', maxLength: 12 })).filter((s) => !s.includes('\0'));

function sandbox() {
  return mkdtempSync(join(tmpdir(), 'spindle-shell-'));
}

test('a value with shell syntax is one argument, not a second command (regression)', T, async () => {
  const cwd = sandbox();
  try {
    const r = await $({ shell: true, cwd, reject: false })`ls -d ${'report.txt; touch PWNED'}`;
    assert.equal(existsSync(join(cwd, 'PWNED')), false, 'the value ran as a command');
    assert.equal(r.command, "ls -d 'report.txt; touch PWNED'");
    assert.equal(r.error?.code, 'ERR_EXEC_EXIT', 'ls was asked for one odd file name, which does not exist');
    assert.match(r.stderr, /report\.txt; touch PWNED/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('values arrive as written: bare, joined to text, inside "…" and \'…\', in $(…), as arrays', T, async () => {
  const v = `a'b"c $(touch X) \`touch X\` ;\\ \n* $HOME \${IFS} !x`;
  for (const shell of shells) {
    const r = await $({
      shell,
    })`printf '[%s]\n' ${v} pre${v}post "in ${v} dq" 'in ${v} sq' ${['x y', v]} ${[]} "$(printf %s ${v})"`;
    assert.equal(
      r.stdout,
      [v, `pre${v}post`, `in ${v} dq`, `in ${v} sq`, 'x y', v, v].map((s) => `[${s}]`).join('\n'),
      shell,
    );
  }
});

test('result.command is exactly the command line the shell ran', T, async () => {
  const r = await $({ shell: true })`printf '%s|' ${"it's"} "${'$HOME'}" x${'*'}`;
  assert.equal(r.command, `printf '%s|' 'it'\\''s' "\\$HOME" x'*'`);
  assert.equal(r.file, r.command);
  assert.deepEqual(r.args, []);
  assert.equal(execFileSync('/bin/sh', ['-c', r.command], { encoding: 'utf8' }), r.stdout);
  // run()/spawn() with a shell: file and args joined with spaces, as Node does, and shown as such
  const joined = await run('echo', ['$((1+1))', '"a  b"'], { shell: true });
  assert.equal(joined.command, 'echo $((1+1)) "a  b"');
  assert.equal(joined.stdout, '2 a  b');
});

test('a shell that is not sh-compatible is refused with interpolated values, allowed without', T, async () => {
  for (const shell of ['cmd.exe', 'C:\\Windows\\System32\\cmd.exe', 'powershell', 'pwsh.exe', '/usr/bin/fish', 'csh']) {
    assert.throws(
      () => $({ shell })`echo ${'x'}`,
      (e) => e instanceof ExecShellQuotingError && e.code === 'ERR_EXEC_SHELL_QUOTING' && e.shell === shell,
      shell,
    );
  }
  // No value, nothing to quote: the text goes to the shell as written (here: one that is not installed).
  const r = await $({ shell: '/nonexistent/fish', reject: false })`echo hi`;
  assert.equal(r.error?.code, 'ERR_EXEC_NOT_FOUND');
  assert.match(r.error.message, /\/nonexistent\/fish/);
});

test('a value where sh would not read a quoted word literally is refused', T, () => {
  const sh = $({ shell: true });
  const cases = {
    comment: () => sh`echo hi # ${'x'}`,
    'here-document': () => sh`cat <<EOF\n${'x'}\nEOF`,
    "here-document's delimiter": () => sh`cat <<${'EOF'}`,
    backquotes: () => sh`echo \`date\` ${'x'}`,
    'arithmetic $((…))': () => sh`echo $((1 + ${1}))`,
    'arithmetic ((…))': () => sh`((x = ${1}))`,
    'parameter ${…}': () => sh`echo \${X:-${'x'}}`,
    'after $': () => sh`echo $${'x'}`,
    'after a backslash': () => sh`echo \\${'x'}`,
    'after a backslash in "…"': () => sh`echo "\\${'x'}"`,
    "$'…'": () => sh`echo $'\\n' ${'x'}`,
    'an array inside quotes': () => sh`echo "${['a', 'b']}"`,
  };
  for (const [where, fn] of Object.entries(cases)) {
    assert.throws(fn, (e) => isSpindleError(e, 'ERR_EXEC_SHELL_QUOTING') && e.index === 0, where);
  }
  // …and after those constructs end, values are fine again
  const line = (strings, ...values) => shellCommand(strings, values, true);
  assert.equal(line`cat <<-EOF\n\tbody $HOME\n\tEOF\necho ${'x'}`, "cat <<-EOF\n\tbody $HOME\n\tEOF\necho 'x'");
  assert.equal(line`echo $((1 + 2)) \${HOME} $(echo "(") # c ) \necho ${'x'}`.endsWith("echo 'x'"), true);
  assert.equal(line`case $1 in a) echo ${'x'};; esac`, "case $1 in a) echo 'x';; esac");
  // an array must stand alone, as without a shell
  assert.throws(
    () => sh`echo x${['a']}`,
    (e) => e.code === 'ERR_INVALID_OPTION' && e.option === `\${0}`,
  );
});

test('fuzz: any text in any position arrives exactly (sh and bash)', T, async () => {
  await check(
    fc.asyncProperty(text, text, text, fc.constantFrom(...shells), async (a, b, c, shell) => {
      const r = await $({ shell })`printf '[%s]\n' ${a} "${b}" '${c}' x${a}y`;
      assert.equal(r.stdout, `[${a}]\n[${b}]\n[${c}]\n[x${a}y]`);
    }),
    { numRuns: 40 },
  );
});

test('fuzz: around any literal text, a value never runs as code', T, async () => {
  const cwd = sandbox();
  const canary = join(cwd, 'C');
  // Each attempt, if it ever ran, creates the file C.
  const payloads = [
    "';touch C;'",
    '";touch C;"',
    '$(touch C)',
    '`touch C`',
    '\ntouch C\n',
    ')\ntouch C\n(',
    '\\";touch C;#',
    '\'"$(touch C)"\'',
    'EOF\ntouch C\nEOF',
  ];
  const literal = fc.string({
    unit: fc.constantFrom(
      ' ',
      '"',
      "'",
      '\\',
      '$',
      '(',
      ')',
      '`',
      '#',
      '\n',
      '{',
      '}',
      ';',
      '<',
      '<<',
      'E',
      'EOF',
      ':',
      'x=',
    ),
    maxLength: 10,
  });
  try {
    await check(
      fc.asyncProperty(
        literal,
        literal,
        literal,
        fc.constantFrom(...payloads),
        fc.constantFrom(...shells),
        async (l0, l1, l2, payload, shell) => {
          const strings = Object.assign([l0, l1, l2], { raw: [l0, l1, l2] });
          let p;
          try {
            p = $({ shell, cwd, reject: false, timeout: 5000 })(strings, payload, payload);
          } catch (e) {
            assert.ok(isSpindleError(e, 'ERR_EXEC_SHELL_QUOTING') || isSpindleError(e, 'ERR_INVALID_OPTION'), e);
            return;
          }
          await p;
          assert.equal(existsSync(canary), false, `ran as code in: ${p.command}`);
        },
      ),
      { numRuns: 100 },
    );
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
