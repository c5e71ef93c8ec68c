/**
 * The crash page's one script (served as /crash-page.js; no build step: plain ES2020 in a
 * string). It posts the paste as text/plain with ?wait, and when the answer is 202 polls
 * the job, then swaps in the server-rendered result. Nothing from a response is inserted
 * as markup except the server's own escaped rendering (parsed by DOMParser: its scripts never run).
 */
export const CRASH_PAGE_SCRIPT = String.raw`'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $('paste-form');
  const paste = $('paste');
  const token = $('token');
  const statusEl = $('status');
  const submit = $('submit');
  token.value = sessionStorage.getItem('symbridge-token') || '';
  const status = (text) => { statusEl.textContent = text; };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const headers = (accept, extra) => {
    const h = Object.assign({ accept }, extra || {});
    if (token.value) h.authorization = 'Bearer ' + token.value;
    return h;
  };

  function swap(html) {
    const doc = new DOMParser().parseFromString(html, 'text/html');
    const next = doc.getElementById('result');
    if (!next) throw new Error('the answer holds no result');
    $('result').replaceWith(document.importNode(next, true));
    document.title = doc.title;
  }

  async function fail(res) {
    let message = res.status + ' ' + res.statusText;
    try {
      const body = await res.json();
      if (body && body.message) message = body.message + (body.line ? ' (line ' + body.line + ')' : '');
    } catch (e) { /* not JSON */ }
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = 'Not symbolicated: ' + message;
    const result = $('result');
    result.replaceChildren(p);
    status('');
  }

  async function showJob(id) {
    const url = '/v1/jobs/' + encodeURIComponent(id);
    for (;;) {
      const res = await fetch(url, { headers: headers('application/json') });
      if (!res.ok) return fail(res);
      const job = await res.json();
      if (job.state === 'completed' || job.state === 'failed') break;
      const p = job.progress;
      status('job ' + id + ': ' + job.state + (p ? ' (' + p.stage + ' ' + p.done + '/' + p.total + ')' : ''));
      await sleep(1000);
    }
    const page = await fetch(url, { headers: headers('text/html') });
    if (!page.ok) return fail(page);
    swap(await page.text());
    if (location.pathname !== url) history.pushState(null, '', url);
    status('');
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    sessionStorage.setItem('symbridge-token', token.value);
    if (paste.value.trim() === '') return status('paste a crash first');
    submit.disabled = true;
    status('symbolicating…');
    try {
      const res = await fetch('/v1/symbolicate?wait=30', {
        method: 'POST',
        headers: headers('text/html', { 'content-type': 'text/plain; charset=utf-8' }),
        body: paste.value,
      });
      if (res.status === 200) {
        swap(await res.text());
        const job = $('result').dataset.jobId;
        if (job) history.pushState(null, '', '/v1/jobs/' + encodeURIComponent(job));
        status('');
      } else if (res.status === 202) {
        await showJob((await res.json()).id);
      } else {
        await fail(res);
      }
    } catch (err) {
      status('could not reach symbridge: ' + err.message);
    } finally {
      submit.disabled = false;
    }
  });

  // A job page opened before its job finished: follow it. A token job's page, reloaded, came
  // without the token (a navigation sends none): ask again with the one saved in this tab,
  // or with the one typed in.
  const pending = $('result').dataset;
  if (pending.job && pending.state === 'locked') {
    token.addEventListener('change', () => {
      sessionStorage.setItem('symbridge-token', token.value);
      if (token.value) showJob(pending.job);
    });
    if (token.value) showJob(pending.job);
    else status('job ' + pending.job + ' needs the token it was submitted with: enter it above');
  } else if (pending.job && pending.state !== 'failed') showJob(pending.job);
})();
`;
