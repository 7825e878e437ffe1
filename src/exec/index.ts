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
export type { ExecInput, ExecOptions, FileTarget, StdinOption, StdioOption } from './options.js';
export { ExecProcess, type LinesOptions, type ReadableOptions } from './process.js';
export type { ExecResult, Output } from './result.js';
export { type OutputOf, run, spawn } from './run.js';
export { runSync, type SyncOptions } from './sync.js';
export { $, sh, type Template } from './template.js';
export { type ExecLogEntry, type ExecLogger, formatLogEntry, type Verbose } from './verbose.js';
