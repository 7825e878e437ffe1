// `node: true`: run a Node script with the Node that runs this process and the
// flags it was started with (`--import tsx`, `--conditions`, `--max-old-space-size`
// …), so the script sees the same Node as its parent.

/** Flags that are about how *this* process was started, not how Node runs a script: they are not passed on. */
const DROP = [
  /^(-e|--eval|-p|--print)(=|$)/, // the parent's own code would run instead of the script
  /^(-c|--check|-i|--interactive)$/,
  /^--test(-|=|$)/, // node --test's runner flags
  /^--watch(-|=|$)/,
  /^--inspect(-|=|$)/, // the debugger port is the parent's
  /^--debug-port(=|$)/,
  /^--input-type(=|$)/,
];
/** Those of them whose value may follow as a separate argument. */
const TAKES_VALUE = new Set([
  '-e',
  '--eval',
  '-p',
  '--print',
  '--test-reporter',
  '--test-reporter-destination',
  '--test-name-pattern',
  '--test-skip-pattern',
  '--test-concurrency',
  '--test-timeout',
  '--test-shard',
  '--test-coverage-include',
  '--test-coverage-exclude',
  '--watch-path',
  '--inspect-port',
  '--debug-port',
  '--input-type',
]);

/** `process.execArgv` without the flags in DROP (and their values). */
export function inheritedNodeOptions(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (!DROP.some((re) => re.test(a))) {
      out.push(a);
      continue;
    }
    if (TAKES_VALUE.has(a)) i++; // `--eval code`: the code goes too
  }
  return out;
}
