import { parseInput } from '../../../src/parse/parse-input';

/** Found by scripts/fuzz.ts (HTTP case 665): a maps-shaped line whose end is below its start left a hole in mappings. */
it('a pasted maps line with end <= start is dropped with a warning, never a hole in the mappings', () => {
  const paste = [
    'panic: boom',
    '',
    'goroutine 1 [running]:',
    'main.main()',
    '\t/src/main.go:10 +0x1d',
    '',
    '7f0000002000-7f0000001000 r-xp 00000000 08:01 1234 /usr/lib/libbad.so',
    '7f0000003000-7f0000004000 r-xp 00000000 08:01 1235 /usr/lib/libgood.so',
  ].join('\n');
  const parsed = parseInput({ paste });
  expect(parsed.report.mappings.every((m) => m !== undefined)).toBe(true);
  expect(parsed.report.mappings.map((m) => m.path)).toEqual(['/usr/lib/libgood.so']);
  expect(parsed.warnings.join('\n')).toMatch(/line 7: not a usable mapping/);
});
