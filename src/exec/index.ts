// Public entry of `spindle/exec`: run external programs without hangs, leaks or surprises.

export * from '../errors/exec.js';
export {
  type AnySpindleError,
  type ErrorCode,
  errorCodes,
  InvalidOptionError,
  isSpindleError,
  SpindleError,
} from '../errors/index.js';
export { formatCommand } from './command.js';
export type { ExecInput, ExecOptions, StdioOption } from './options.js';
export { ExecProcess, type LinesOptions, type ReadableOptions } from './process.js';
export type { ExecResult } from './result.js';
export { type OutputOf, run, spawn } from './run.js';
export { $, sh, type Template } from './template.js';
