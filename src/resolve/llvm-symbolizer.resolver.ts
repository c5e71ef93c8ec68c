import { ResolvedSymbol } from '../model/resolved-frame';
import { InlinedFrame } from '../model/unified-stack';
import { LlvmSymbolizerAnswer } from './llvm-symbolizer.process';
import { LlvmSymbolizerPool } from './llvm-symbolizer.pool';

/**
 * Turns llvm-symbolizer's JSON into a ResolvedSymbol. Its Symbol[] is innermost
 * first: [inlined callee ..., physical function]. No file/line means it answered
 * from the symbol table only.
 */
export class LlvmSymbolizerResolver {
  constructor(private readonly pool: LlvmSymbolizerPool) {}

  async resolve(objectPath: string, lookupAddress: bigint): Promise<ResolvedSymbol | undefined> {
    return toResolvedSymbol(await this.pool.query(objectPath, lookupAddress));
  }
}

export function toResolvedSymbol(answer: LlvmSymbolizerAnswer): ResolvedSymbol | undefined {
  const frames = (answer.Symbol ?? []).filter((s) => s.FunctionName && s.FunctionName !== '??');
  if (frames.length === 0) return undefined;
  const conv = (s: (typeof frames)[number]): InlinedFrame => ({
    function: s.FunctionName!,
    file: s.FileName && s.FileName !== '??' ? s.FileName : undefined,
    line: s.Line ? s.Line : undefined,
    column: s.Column ? s.Column : undefined,
  });
  const outer = conv(frames[frames.length - 1]);
  const inlined = frames.slice(0, -1).map(conv);
  return { ...outer, inlined, source: outer.file || inlined.length > 0 ? 'dwarf' : 'symtab' };
}
