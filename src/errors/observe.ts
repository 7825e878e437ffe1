// Errors of observability (the admin listener of `spindle start/work --admin`,
// metrics and trace context): ERR_ADMIN_*.
import { named, SpindleError } from './base.js';

/** The admin listener could not listen on its address (in use, not an address of this machine, no permission). */
export class AdminListenError extends SpindleError<'ERR_ADMIN_LISTEN'> {
  declare readonly name: 'AdminListenError';
  /** The address asked for, `HOST:PORT`. */
  readonly address: string;
  constructor(address: string, cause: Error) {
    super('ERR_ADMIN_LISTEN', `The admin endpoint cannot listen on ${address}: ${cause.message}`, { cause });
    this.address = address;
  }
  static {
    named(AdminListenError, 'AdminListenError');
  }
}

/** Every error class of observability, as a union that `code` discriminates. */
export type ObserveError = AdminListenError;
