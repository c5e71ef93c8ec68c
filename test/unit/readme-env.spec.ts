import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every environment variable the code reads is documented in README.md: the validated
 * service environment (EnvDto) and whatever src/ reads from process.env directly (the CLI).
 */
const ROOT = join(__dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function variablesRead(): Set<string> {
  const names = new Set<string>();
  const envDto = readFileSync(join(ROOT, 'src', 'config', 'env.dto.ts'), 'utf8');
  for (const m of envDto.matchAll(/^\s+([A-Z][A-Z0-9_]+)\?:/gm)) names.add(m[1]);
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)|process\.env\[['"]([A-Z][A-Z0-9_]*)['"]\]/g)) names.add(m[1] ?? m[2]);
  }
  return names;
}

it('finds the variables it checks (the scan works)', () => {
  const names = variablesRead();
  for (const known of ['REDIS_URL', 'QUEUE_PREFIX', 'SHUTDOWN_TIMEOUT_MS', 'SYMBRIDGE_URL', 'SYMBRIDGE_TOKEN']) expect(names).toContain(known);
});

it('README.md documents every one of them, as `NAME`', () => {
  const missing = [...variablesRead()].filter((name) => !readme.includes(`\`${name}\``)).sort();
  expect(missing).toEqual([]);
});

it('README.md names no command that does not exist yet (the package is unpublished)', () => {
  expect(readme).not.toMatch(/npx symbridge/);
});
