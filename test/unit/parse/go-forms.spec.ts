import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseInput } from '../../../src/parse/parse-input';

/**
 * Go forms the public corpus has no real text for, printed by our own programs
 * (test/fixtures/go-forms, built and run by its build.sh): expectations are read off
 * the captured text, counts derived from it.
 */
const DIR = join(__dirname, '../../fixtures/go-forms/captured');
const text = (name: string) => readFileSync(join(DIR, `${name}.txt`), 'utf8');

function frameLines(t: string): number {
  return t.split('\n').filter((l) => /^\t\S+:\d+/.test(l)).length;
}

it('a re-panic from a deferred recover: both panics, the first marked [recovered], in order', () => {
  const t = text('recovered');
  const { report } = parseInput({ traceback: t });
  expect(report.panics).toEqual([
    { text: 'first failure', recovered: true, inputLine: 1 },
    { text: 'again after: first failure', recovered: false, inputLine: 2 },
  ]);
  expect(report.goroutines.map((g) => [g.id, g.state, g.frames.length])).toEqual([[1, 'running', frameLines(t)]]);
  expect(report.goroutines[0].frames.map((f) => f.function)).toEqual(['main.main.func1', 'panic', 'main.main']);
});

it('a panic inside a deferred call while panicking: two panics, neither recovered', () => {
  const t = text('nested');
  const { report } = parseInput({ traceback: t });
  expect(report.panics?.map((p) => [p.text, p.recovered])).toEqual([
    ['first', false],
    ['second, from a deferred call', false],
  ]);
  expect(report.goroutines[0].frames).toHaveLength(frameLines(t));
});

it('a panic with another goroutine runnable: both goroutines, created-by kept', () => {
  const t = text('running');
  const { report } = parseInput({ traceback: t });
  const headers = t.split('\n').filter((l) => /^goroutine \d+ \[/.test(l)).length;
  expect(report.goroutines).toHaveLength(headers);
  const other = report.goroutines.find((g) => g.id !== 1)!;
  expect(other.createdBy?.function).toBe('main.main');
  expect(report.panics?.[0]).toMatchObject({ text: 'while another goroutine runs', recovered: false });
});
