import { ParseError } from '../../src/model/errors';
import { checkParse } from '../../src/parse/parse-check';
import { ParseCheckPool } from '../../src/parse/parse-check.pool';
import { maximalCrash } from '../support/maximal';

/**
 * The API's parse check on a thread (parse-check.pool.ts): the same answer as on the event
 * loop, our errors raised again as they were (code, line), and the loop free meanwhile.
 */
let pool: ParseCheckPool;
beforeAll(() => {
  pool = new ParseCheckPool(1);
});
afterAll(async () => pool?.close());

/** The longest the event loop went without running a 5 ms timer while `work` ran. */
async function longestStall<T>(work: () => Promise<T> | T): Promise<{ value: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 5);
  try {
    const value = await work();
    await new Promise((r) => setTimeout(r, 10)); // one more tick, so a stall at the end is counted
    return { value, stallMs };
  } finally {
    clearInterval(timer);
  }
}

it('a maximal paste (45k frames): the frames counted on the thread as on the loop, and the loop keeps turning', async () => {
  const crash = maximalCrash(45_000);
  await pool.check(crash); // the thread starts and loads the parser
  expect(pool.stats().threads).toBe(1);
  const inline = await longestStall(() => checkParse(crash));
  const threaded = await longestStall(() => pool.check(crash));
  expect(threaded.value).toEqual(inline.value);
  expect(inline.value.frames).toBeGreaterThanOrEqual(crash.frames);
  // On the loop the parse is one stall of its whole length; on the thread the loop only copies the text out.
  console.log(`parse check of ${crash.frames} frames: event loop stalled ${Math.round(inline.stallMs)} ms inline, ${Math.round(threaded.stallMs)} ms with the thread`);
  expect(threaded.stallMs).toBeLessThan(inline.stallMs / 2);
}, 60_000);

it('a parse error in a large text comes back as the ParseError it was: code, message and line', async () => {
  const paste = `hello\n${'this is not a crash\n'.repeat(5000)}`;
  expect(paste.length).toBeGreaterThan(64 * 1024);
  let inline: unknown;
  try {
    checkParse({ paste });
  } catch (err) {
    inline = err;
  }
  expect(inline).toBeInstanceOf(ParseError);
  const threaded = await pool.check({ paste }).catch((err: unknown) => err);
  expect(threaded).toBeInstanceOf(ParseError);
  expect(threaded).toMatchObject({ code: 'PARSE_ERROR', message: (inline as ParseError).message, context: (inline as ParseError).context });
  expect((threaded as ParseError).context.line).toBe(1);
});

it('small texts and a pool of no threads stay on the event loop', async () => {
  const none = new ParseCheckPool(0);
  try {
    const crash = maximalCrash(2_000);
    expect(await none.check(crash)).toEqual(checkParse(crash));
    expect(none.stats()).toEqual({ threads: 0, queued: 0 });
  } finally {
    await none.close();
  }
});
