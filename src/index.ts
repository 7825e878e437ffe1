// Public entry of `spindle`: thin re-exports only.
export * from './errors.js';
export { availableCpus } from './util/cpus.js';
