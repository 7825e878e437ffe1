// Tasks of the queue benchmark's spindle nodes.
export function tiny(x) {
  return x;
}

/** Burns the CPU for `ms`. */
export function cpu(ms) {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n > 0 ? ms : 0;
}
