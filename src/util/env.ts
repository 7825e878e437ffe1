// One rule for `env` in every module that starts a process (exec, the process
// pool, the cluster): the variables are merged over `process.env`; `undefined`
// removes one; `extendEnv: false` starts from an empty environment instead.
import { checkObject, invalid, invalidSecret, optionalBoolean } from './validate.js';

export type EnvOption = Record<string, string | undefined>;

/** Validates `env` (values are never shown in errors) and `extendEnv`. */
export function checkEnv(
  env: unknown,
  extendEnv: unknown,
  prefix = '',
): { env: EnvOption | undefined; extendEnv: boolean } {
  const record = checkObject(`${prefix}env`, env);
  if (record) {
    let entries: [string, unknown][];
    try {
      entries = Object.entries(record);
    } catch {
      throw invalid(`${prefix}env`, 'a plain object whose properties can be read', record);
    }
    for (const [k, v] of entries) {
      // A NUL byte cannot be passed to a process; Node's own error would print the value.
      if (k.includes('\0')) throw invalid(`${prefix}env`, 'variable names without NUL bytes', k);
      if (v !== undefined && (typeof v !== 'string' || v.includes('\0')))
        throw invalidSecret(`${prefix}env.${k}`, 'a string without NUL bytes, or undefined', v);
    }
  }
  return {
    env: record as EnvOption | undefined,
    extendEnv: optionalBoolean(`${prefix}extendEnv`, extendEnv, true),
  };
}

/** The environment a child starts with under the rule above (undefined values dropped). */
export function buildEnv(env: EnvOption | undefined, extendEnv: boolean, base = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  if (extendEnv) for (const [k, v] of Object.entries(base)) if (v !== undefined) out[k] = v;
  if (env) {
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete out[k];
      else out[k] = v;
    }
  }
  return out;
}
