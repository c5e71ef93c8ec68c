import { basename } from '../normalize/find-mapping';
import { InlinedFrame, ModuleReport, UnifiedFrame, UnifiedStack, UnifiedThread } from '../model/unified-stack';

/**
 * render stage, for a person in a browser: the crash page (GET /, GET /v1/jobs/ID with
 * Accept: text/html). Server-rendered; every value from a crash text goes through esc()
 * (crash texts are hostile: a function name can be `<script>`), and the page is served
 * with a CSP allowing only our own script (src/api/crash-page.controller.ts).
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values alike: the five characters that can change HTML's structure. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export interface CrashPageJob {
  id: string;
  state: string;
  error?: string;
}

export interface CrashPage {
  /** Where curl and the CLI reach this service, for the upload commands (`http://host:port`). */
  baseUrl: string;
  stack?: UnifiedStack;
  job?: CrashPageJob;
}

/** The whole page: paste box, then the result (or the job's state, polled by the script). */
export function renderCrashPage(page: CrashPage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(page.stack?.headline ? `${page.stack.headline} — symbridge` : 'symbridge: crash page')}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1><a href="/">symbridge</a></h1><nav><a href="/docs">API docs</a></nav></header>
<form id="paste-form" method="post" action="/v1/symbolicate">
<label for="paste">Paste the crash: the Go traceback (or hs_err log, tombstone) and the /proc/PID/maps lines, one after the other</label>
<textarea id="paste" name="paste" rows="10" spellcheck="false" placeholder="fatal error: unexpected signal during runtime execution&#10;[signal SIGSEGV: segmentation violation ...]&#10;..."></textarea>
<div class="row"><label for="token">Token (when the service requires one)</label> <input id="token" type="password" autocomplete="off">
<button id="submit" type="submit">Symbolicate</button> <span id="status" role="status"></span></div>
</form>
<main id="result"${page.job ? ` data-job-id="${esc(page.job.id)}"` : ''}${page.job && !page.stack ? ` data-job="${esc(page.job.id)}" data-state="${esc(page.job.state)}"` : ''}>
${page.stack ? renderResult(page.stack, page.baseUrl, page.job) : page.job ? renderJobState(page.job) : ''}
</main>
<script src="/crash-page.js"></script>
</body>
</html>
`;
}

function renderJobState(job: CrashPageJob): string {
  if (job.state === 'failed') return `<p class="error">Job ${esc(job.id)} failed: ${esc(job.error ?? 'unknown error')}</p>`;
  if (job.state === 'locked') return `<p class="pending">Job ${esc(job.id)} is read with the token it was submitted with; this page asks with the token saved in this tab.</p>`;
  return `<p class="pending">Job ${esc(job.id)} is ${esc(job.state)}; this page updates when it is done.</p>`;
}

/** The unified stack: head, threads (crashed first and open, the rest folded), modules, diagnostics. */
export function renderResult(stack: UnifiedStack, baseUrl: string, job?: CrashPageJob): string {
  const signal = stack.signal?.text?.length
    ? `<pre class="signal">${stack.signal.text.map(esc).join('\n')}</pre>`
    : stack.signal
      ? `<p class="signal">${esc(stack.signal.name)}${stack.signal.description ? `: ${esc(stack.signal.description)}` : ''}${stack.signal.addr ? ` addr=${esc(stack.signal.addr)}` : ''}${stack.signal.pc ? ` pc=${esc(stack.signal.pc)}` : ''}</p>`
      : '';
  const problematic = stack.problematic_frame ? `<p class="problematic">Problematic frame: <code>${esc(stack.problematic_frame.text)}</code></p>` : '';
  const threads = stack.threads.map((t, i) => renderThread(t, i === 0 && t.crashed)).join('\n');
  return `<section id="summary">
<h2 id="headline">${esc(stack.headline ?? 'Crash')}</h2>
${signal}${problematic}${job ? `<p class="job">job <a href="/v1/jobs/${encodeURIComponent(job.id)}">${esc(job.id)}</a></p>` : ''}
<p class="legend"><span class="kind kind-native">native</span> <span class="kind kind-go">go</span> <span class="kind kind-java">java</span> <span class="kind kind-jvm">jvm</span> frames; the source badge says where each answer came from.</p>
</section>
<section id="threads"><h2>Threads</h2>
${threads}
</section>
${renderModules(stack.modules, baseUrl)}
${renderDiagnostics(stack)}`;
}

function renderThread(t: UnifiedThread, open: boolean): string {
  const top = t.frames.find((f) => f.function) ?? t.frames[0];
  const summary = [
    `<span class="thread-id">${esc(t.id)}</span>`,
    t.state && t.state !== t.id ? ` <span class="state">[${esc(t.state)}]</span>` : '',
    t.crashed ? ' <span class="crashed">crashed</span>' : '',
    t.signal ? ` <span class="thread-signal">${esc(t.signal.name)}</span>` : '',
    ` <span class="count">${t.frames.length} frame${t.frames.length === 1 ? '' : 's'}</span>`,
    top?.function ? ` <code class="top">${esc(top.function)}</code>` : '',
  ].join('');
  const created = t.created_by
    ? `<p class="created-by">created by <code>${esc(t.created_by.function)}</code>${t.created_by.goroutine !== undefined ? ` in goroutine ${esc(t.created_by.goroutine)}` : ''}${t.created_by.file ? ` <span class="loc">${esc(t.created_by.file)}:${esc(t.created_by.line)}</span>` : ''}</p>`
    : '';
  const stopped = t.unwind_stopped ? `<p class="gap">${esc(t.unwind_stopped)}</p>` : t.stack_unavailable ? '<p class="gap">goroutine running on other thread; stack unavailable</p>' : '';
  return `<details class="thread${t.crashed ? ' crashed-thread' : ''}"${open ? ' open' : ''}>
<summary>${summary}</summary>
<ol class="frames">
${t.frames.map(renderFrame).join('\n')}
</ol>${t.frames_elided ? '\n<p class="gap">…additional frames elided… (Go prints at most 100)</p>' : ''}
${created}${stopped}
</details>`;
}

function renderFrame(f: UnifiedFrame): string {
  const name = f.function ?? (f.kind === 'native' ? 'non-Go function' : '??');
  const place = [
    f.module ? `<span class="module">${esc(basename(f.module))}${f.module_offset ? `+${esc(f.module_offset)}` : ''}</span>` : '',
    f.pc ? `<span class="pc">pc=${esc(f.pc)}</span>` : '',
    f.input_function && f.input_function !== f.function ? `<span class="printed">printed as <code>${esc(f.input_function)}</code></span>` : '',
    f.java_method ? `<span class="java-method">JNI <code>${esc(f.java_method)}</code></span>` : '',
  ]
    .filter((p) => p)
    .join(' ');
  // Why, first clause only: what to do about it is in the modules table and the diagnostics, once per module.
  const why = f.reason?.split(';')[0];
  const reason = f.source === 'unresolved' || f.source === 'hs-err' ? `<div class="reason" title="${esc(f.reason ?? '')}">${esc(why ?? 'not resolved')}</div>` : '';
  const gap = f.frames_missing_after ? `\n<div class="gap">${esc(f.frames_missing_after)}</div>` : '';
  return `<li class="frame frame-${esc(f.kind)} source-${esc(f.source)}">
${f.inlined.length > 0 ? `<ol class="inlined">${f.inlined.map(renderInlined).join('')}</ol>` : ''}<div class="fn"><span class="kind kind-${esc(f.kind)}">${esc(f.kind)}</span> <code class="function">${esc(name)}${f.kind === 'go' && f.args ? esc(f.args) : ''}</code> <span class="source">${esc(f.source)}</span></div>
<div class="where">${location(f.file, f.line, f.column)} ${place}</div>${reason}${gap}
</li>`;
}

function renderInlined(i: InlinedFrame): string {
  return `<li class="inlined-frame"><span class="kind">inlined</span> <code class="function">${esc(i.function)}</code> ${location(i.file, i.line, i.column)}</li>`;
}

function location(file?: string, line?: number, column?: number): string {
  if (!file) return '';
  return `<span class="loc">${esc(file)}${line ? `:<span class="line">${esc(line)}</span>` : ''}${line && column ? `:${esc(column)}` : ''}</span>`;
}

/** Every module the crash named, and for each one not found the exact command that fixes it. */
function renderModules(modules: ModuleReport[], baseUrl: string): string {
  if (modules.length === 0) return '';
  const rows = modules.map((m) => {
    const name = basename(m.path);
    const fix =
      m.status === 'missing' || m.status === 'mismatch'
        ? `<code class="upload">${esc(uploadCommand(m.path, baseUrl))}</code>`
        : esc(m.identified_by ?? '');
    return `<tr class="status-${esc(m.status)}"><td title="${esc(m.path)}">${esc(name)}</td><td>${esc(m.status)}</td><td><code>${esc(m.build_id ?? '')}</code></td><td>${fix}</td></tr>`;
  });
  return `<section id="modules"><h2>Modules</h2>
<table><thead><tr><th>module</th><th>status</th><th>build-id</th><th>how found / how to fix</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></section>`;
}

/**
 * curl, as README's upload example: SYMBRIDGE_TOKEN (harmless while no tokens are configured), and the
 * file where the crashed process mapped it (run it there, or on the machine that built it).
 */
export function uploadCommand(path: string, baseUrl: string): string {
  const file = path.startsWith('/') ? path : `path/to/${basename(path)}`;
  return `curl -fsS -H "Authorization: Bearer \${SYMBRIDGE_TOKEN:-}" -F files=@${quoteIfNeeded(file)} ${baseUrl}/v1/symbols`;
}

function quoteIfNeeded(s: string): string {
  return /^[\w./+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function renderDiagnostics(stack: UnifiedStack): string {
  if (stack.diagnostics.length === 0) return '';
  const items = stack.diagnostics.map(
    (d) => `<li class="diag diag-${esc(d.level)}"><span class="level">${esc(d.level)}</span> <span class="code">${esc(d.code)}</span> ${esc(d.message)}${d.input_line ? ` <span class="input-line">(input line ${esc(d.input_line)})</span>` : ''}</li>`,
  );
  return `<section id="diagnostics"><h2>Diagnostics</h2><ul>
${items.join('\n')}
</ul></section>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 48px;color:#1d1d1f}
header{display:flex;justify-content:space-between;align-items:baseline}header a{color:inherit}
h1{font-size:20px}h2{font-size:17px;margin:20px 0 8px}
textarea{width:100%;font:12px/1.4 ui-monospace,monospace;box-sizing:border-box}
.row{margin:6px 0;display:flex;gap:8px;align-items:center}
code,pre,.loc,.pc,.module{font-family:ui-monospace,monospace;font-size:12.5px}
pre.signal{background:#fff4f4;padding:6px 8px;border-left:3px solid #c62828;white-space:pre-wrap}
details.thread{border:1px solid #ddd;border-radius:6px;margin:6px 0;padding:4px 8px}
details.crashed-thread{border-color:#c62828}
summary{cursor:pointer}.crashed{color:#fff;background:#c62828;border-radius:3px;padding:0 4px}
ol.frames{padding-left:28px;margin:6px 0}li.frame{margin:4px 0}
.kind{display:inline-block;min-width:44px;text-align:center;border-radius:3px;font-size:11px;padding:0 3px;background:#eee}
.kind-native{background:#ffe0b2}.kind-go{background:#b3e5fc}.kind-java{background:#c8e6c9}.kind-jvm{background:#e1bee7}
.source{font-size:11px;color:#555;border:1px solid #bbb;border-radius:3px;padding:0 3px}
.source-unresolved .function{color:#b71c1c}.where{color:#444;margin-left:52px}
.reason{color:#8d6e00;margin-left:52px;font-size:12.5px}
ol.inlined{list-style:none;padding-left:0;margin:0;color:#555}ol.inlined .kind{background:#f5f5f5}
div.gap,p.gap{color:#8d6e00;font-style:italic;margin:4px 0 4px 52px;border-left:3px dashed #e0b000;padding-left:6px}
li.frame{border-left:3px solid #ddd;padding-left:6px}li.frame-native{border-color:#fb8c00}li.frame-go{border-color:#039be5}li.frame-java{border-color:#43a047}li.frame-jvm{border-color:#8e24aa}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
tr.status-missing td:nth-child(2),tr.status-mismatch td:nth-child(2){color:#b71c1c;font-weight:600}
.diag-warning .level{color:#8d6e00}.diag-error .level{color:#b71c1c}.error{color:#b71c1c}
`;
