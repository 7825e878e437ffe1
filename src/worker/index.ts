// What task modules import from `spindle/worker`.
export {};
