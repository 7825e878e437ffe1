export function spin(ms) { const end = performance.now() + ms; while (performance.now() < end); return ms; }
