// The one headless-browser set-up of the dashboard's tests and of
// scripts/screenshot.js: Debian's chromium driven by playwright-core (a
// devDependency; no browser download), no sandbox when running as root, and
// none of the browser's own background traffic (updates, sync, metrics).
import { existsSync } from 'node:fs';

/** Where Debian's `chromium` package puts the browser (CHROMIUM_PATH overrides). */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-sync',
  '--disable-breakpad',
  '--metrics-recording-only',
  '--no-first-run',
  '--no-default-browser-check',
  '--no-pings',
];

/** Launches headless chromium; throws with what to install when it is missing. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM))
    throw new Error(`No browser at ${CHROMIUM}: install Debian's chromium package (.ci/run does) or set CHROMIUM_PATH`);
  const { chromium } = await import('playwright-core');
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [...CHROMIUM_ARGS, ...(root ? ['--no-sandbox'] : [])],
  });
}
