import { UnifiedStack } from '../../../src/model/unified-stack';
import { esc, renderCrashPage, uploadCommand } from '../../../src/render/html.renderer';

/**
 * The crash page's renderer against hostile text in every field a crash can set (names,
 * files, states, reasons, module paths, diagnostics, the signal lines, the job id): all of
 * it comes out as text, never as markup or an attribute break-out. The browser side of the
 * same is test/e2e/crash-page.e2e.spec.ts.
 */
const EVIL = `"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;`;

function hostileStack(): UnifiedStack {
  const frame = {
    kind: 'native' as const,
    function: EVIL,
    args: EVIL,
    file: EVIL,
    line: 7,
    column: 3,
    inlined: [{ function: EVIL, file: EVIL, line: 1 }],
    pc: EVIL,
    address_kind: 'exact' as const,
    module: `/lib/${EVIL}`,
    module_offset: EVIL,
    input_function: EVIL,
    java_method: EVIL,
    source: 'unresolved' as const,
    reason: EVIL,
    frames_missing_after: EVIL,
  };
  return {
    headline: EVIL,
    problematic_frame: { text: EVIL, input_line: 3 },
    signal: { name: EVIL, text: [EVIL, EVIL] },
    threads: [
      { id: EVIL, state: EVIL, crashed: true, signal: { name: EVIL }, created_by: { function: EVIL, file: EVIL, line: 2 }, unwind_stopped: EVIL, frames: [frame, { ...frame, kind: 'go' }] },
      { id: 'goroutine 2', state: EVIL, crashed: false, frames: [frame] },
    ],
    modules: [
      { path: `/lib/${EVIL}`, build_id: EVIL, status: 'missing' },
      { path: '/lib/ok.so', status: 'found', identified_by: EVIL },
    ],
    diagnostics: [{ level: 'warning', code: EVIL, message: EVIL, input_line: 9 }],
  };
}

describe('crash page rendering of hostile text', () => {
  const html = renderCrashPage({ baseUrl: 'http://127.0.0.1:8080', stack: hostileStack(), job: { id: EVIL, state: EVIL } });

  it('no markup from the input: only our own script tag, no img, no attribute break-out', () => {
    expect(html.match(/<script/g)).toEqual(['<script']);
    expect(html).toContain('<script src="/crash-page.js"></script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain(`"'>`);
    expect(html).not.toContain('onerror=alert(2)>');
  });

  it('the hostile text is all there, escaped, as text', () => {
    const escaped = esc(EVIL);
    expect(escaped).toBe('&quot;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;');
    expect(html.split(escaped).length - 1).toBeGreaterThanOrEqual(20);
  });

  it('the crashed thread open, the other folded; kinds and sources on each frame', () => {
    expect(html.match(/<details class="thread[^"]*" open>/g)?.length).toBe(1);
    expect(html.match(/<details class="thread[^"]*">/g)?.length).toBe(1);
    expect(html).toContain('class="frame frame-native source-unresolved"');
    expect(html).toContain('class="frame frame-go source-unresolved"');
  });

  it('a job still running: its state, and the id for the script to follow', () => {
    const page = renderCrashPage({ baseUrl: 'http://h', job: { id: 'abc', state: 'active' } });
    expect(page).toContain('<main id="result" data-job-id="abc" data-job="abc" data-state="active">');
    expect(page).toContain('Job abc is active');
  });

  it('the upload command names the missing file where it was mapped, quoted when the name needs it', () => {
    expect(uploadCommand('/usr/lib/libc.so.6', 'http://h:1')).toBe('curl -fsS -H "Authorization: Bearer ${SYMBRIDGE_TOKEN:-}" -F files=@/usr/lib/libc.so.6 http://h:1/v1/symbols');
    expect(uploadCommand("/opt/my lib's.so", 'http://h')).toContain(`-F files=@'/opt/my lib'\\''s.so' `);
    expect(uploadCommand('libfoo.so', 'http://h')).toContain('-F files=@path/to/libfoo.so ');
  });
});
