// Removes dist/ before a build so that files whose source was deleted or moved
// cannot linger and let a stale import pass locally but fail on a clean clone.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

rmSync(fileURLToPath(new URL('../dist', import.meta.url)), { recursive: true, force: true });
