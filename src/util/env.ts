// One rule for `env` in every module that starts a process (exec, the process
// pool, the cluster): the variables are merged over `process.env`; `undefined`
// removes one; `extendEnv: false` starts from an empty environment instead.
import { checkObject, invalidSecret, optionalBoolean } from './validate.js';

export type EnvOption = Record<string, string | undefined>;

/** Validates `env` (values are never shown in errors) and `extendEnv`. */
export function checkEnv(
  env: unknown,
  extendEnv: unknown,
  prefix = '',
): { env: EnvOption | undefined; extendEnv: boolean } {
  const record = checkObject(`${prefix}env`, env);
  if (record) {
    for (const [k, v] of Object.entries(record)) {
      if (v !== undefined && typeof v !== 'string')
        throw invalidSecret(`${prefix}env.${k}`, 'a string or undefined', v);
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
