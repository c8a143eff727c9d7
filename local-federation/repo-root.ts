// The repository root, found by walking up to fedfeat's package.json; works
// both from TypeScript sources (tests) and from compiled dist/.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fedfeat') return dir;
    if (path.dirname(dir) === dir) throw new Error(`fedfeat's package.json not found above ${start}`);
  }
}

export const repoRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));
