import { captured } from './fixtures';

/**
 * A maximal symbolicate request built from the real cgo crash (pie): its goroutine 1
 * repeated under new goroutine ids until about `frames` frames, with the crash's maps.
 * Each goroutine is the captured one, so every frame is one the service really resolves.
 */
export function maximalCrash(frames = 45_000): { traceback: string; maps: string; frames: number } {
  const stderr = captured('pie', 'stderr');
  const start = stderr.indexOf('goroutine 1 [');
  const end = stderr.indexOf('\n\n', start);
  const block = stderr.slice(start, end);
  const perBlock = block.split('\n').filter((l) => l.startsWith('\t')).length;
  const extra: string[] = [];
  let total = 0;
  for (let g = 1000; total + perBlock <= frames; g++) {
    extra.push(block.replace(/^goroutine 1 \[/, `goroutine ${g} [`));
    total += perBlock;
  }
  return { traceback: `${stderr.trimEnd()}\n\n${extra.join('\n\n')}\n`, maps: captured('pie', 'maps'), frames: total };
}
