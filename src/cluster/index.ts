// spindle/cluster: the supervisor (primary side) and the app side API.

export * from '../errors/cluster.js';
// The control socket a named supervisor opens (ERR_CONTROL_NAME_IN_USE from supervise({ name }), …).
export * from '../errors/control.js';
export {
  type AnySpindleError,
  type ClusterErrorCode,
  type ControlErrorCode,
  type ErrorCode,
  errorCodes,
  InvalidOptionError,
  isSpindleError,
  SpindleError,
} from '../errors/index.js';
export {
  isSupervised,
  onShutdown,
  type PrimaryChannel,
  primary,
  ready,
  type ShutdownHook,
  type ShutdownInfo,
  workerId,
} from './app/api.js';
export { Supervisor, type SupervisorEvents, supervise } from './supervisor.js';
export type * from './types.js';
