/** Benchmark (not a test): parse a ~10 MB paste of the whole corpus repeated. Run: npx ts-node --transpile-only bench/parse-10mb.bench.ts */
import { readFileSync, readdirSync } from 'fs';
import { parseInput } from '../src/parse/parse-input';
const R=__dirname + '/../test/fixtures/corpus';
const unit = readdirSync(R).flatMap((d)=>readdirSync(`${R}/${d}`).filter(f=>f.endsWith('.txt')).map(f=>readFileSync(`${R}/${d}/${f}`,'utf8'))).join('\n');
const big = Array.from({length: Math.ceil(10e6/unit.length)}, ()=>unit).join('\n');
for (let i=0;i<3;i++){const t=Date.now(); const r=parseInput({paste: big}); console.log(big.length, 'bytes', Date.now()-t,'ms', r.report.goroutines.length,'goroutines');}
