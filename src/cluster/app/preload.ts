// Loaded with `node --import` in every supervised worker, before the app's
// entry point: installs the spindle runtime when the supervisor's settings are
// in the environment (and does nothing otherwise).
import { readConfig } from './config.js';
import { installRuntime } from './runtime.js';

const config = readConfig();
if (config) installRuntime(config);
