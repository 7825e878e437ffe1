// spindle/cluster: the supervisor (primary side) and the app side API.
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
