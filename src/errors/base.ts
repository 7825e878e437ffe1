// The base of every spindle error, and the one error every module shares.
// Rules (docs/conventions.md): a class is named after its code (ERR_POOL_CLOSED
// → PoolClosedError); `name` and `code` are literals written here, never derived
// from `constructor.name`, which minifiers rename.

/** Sets the literal `name` of an error class on its prototype (not an own field, so logs stay quiet). */
export function named(cls: abstract new (...args: any[]) => Error, name: string): void {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
}

/** Base class of every spindle error: a stable `code` plus the usual `cause`. */
export class SpindleError<C extends string = string> extends Error {
  declare readonly name: string;
  readonly code: C;
  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
  static {
    named(SpindleError, 'SpindleError');
  }
}

/** An option or argument has the wrong type or is out of range. */
export class InvalidOptionError extends SpindleError<'ERR_INVALID_OPTION'> {
  declare readonly name: 'InvalidOptionError';
  /** The option's name, e.g. `maxWorkers` or `options.timeout`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super('ERR_INVALID_OPTION', message);
    this.option = option;
  }
  static {
    named(InvalidOptionError, 'InvalidOptionError');
  }
}
