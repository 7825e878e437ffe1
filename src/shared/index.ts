// Public entry of `spindle/shared`: thin re-exports only.

export {
  type AnySpindleError,
  type ErrorCode,
  errorCodes,
  InvalidOptionError,
  isSpindleError,
  type SharedErrorCode,
  SpindleError,
} from '../errors/index.js';
export * from '../errors/shared.js';
export { Barrier } from './barrier.js';
export { Channel, type ChannelOptions, type ChannelType, type TryReceiveResult } from './channel.js';
export { Condition } from './condition.js';
export { Guard } from './guard.js';
export { hasShared, type SharedHandle, type SharedKind } from './handle.js';
export { Latch } from './latch.js';
export { Mutex } from './mutex.js';
export type { WaitOptions } from './options.js';
export { type ReviveOptions, reviveShared } from './revive.js';
export { Semaphore, type SemaphoreOptions } from './semaphore.js';
