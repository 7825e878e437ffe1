// Every error spindle throws or rejects with. Each class carries a stable
// `code`; match on `err.code`, never on the message. docs/errors.md has one row
// per code.

/** Base class of every spindle error: a stable `code` plus the usual `cause`. */
export class SpindleError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
  override get name(): string {
    return this.constructor.name;
  }
}

// ---------------------------------------------------------------- input

/** An option or argument has the wrong type or is out of range. */
export class InvalidOptionError extends SpindleError {
  /** The option's name, e.g. `maxWorkers` or `options.timeout`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super('ERR_INVALID_OPTION', message);
    this.option = option;
  }
}
