// The dashboard page: one self-contained HTML file (its CSS, its script and
// the uPlot charting library inlined), made by scripts/page.js at build time
// next to this module, with its Content-Security-Policy (hashes of exactly
// its inline script and style). Read once, on first request.
import { readFileSync } from 'node:fs';

export interface Page {
  html: Buffer;
  csp: string;
}

let page: Page | undefined;

/** The built page and its policy; throws when the package was built without it. */
export function loadPage(): Page {
  page ??= {
    html: readFileSync(new URL('./page.html', import.meta.url)),
    csp: readFileSync(new URL('./page.csp', import.meta.url), 'utf8').trim(),
  };
  return page;
}
