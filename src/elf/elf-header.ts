import { ElfHeader, ET_NAMES, MACHINES } from './elf-types';
import { Fields, RangeReader } from './range-reader';

const ELF_MAGIC = 0x7f454c46;

/** The ELF header: class (32/64), data encoding (LE/BE), type, machine, table locations. */
export async function readElfHeader(r: RangeReader): Promise<ElfHeader> {
  if (r.size < 16) r.fail('not an ELF file: shorter than an ELF identification', 0);
  const ident = await r.bytes(0, 16, 'ELF identification');
  if (ident.readUInt32BE(0) !== ELF_MAGIC) r.fail('not an ELF file: bad magic (expected 7f 45 4c 46)', 0);
  const bits = ident[4] === 1 ? 32 : ident[4] === 2 ? 64 : r.fail(`bad ELF class ${ident[4]}`, 4);
  const endian = ident[5] === 1 ? 'little' : ident[5] === 2 ? 'big' : r.fail(`bad ELF data encoding ${ident[5]}`, 5);
  const h = new Fields(await r.bytes(0, bits === 64 ? 64 : 52, 'ELF header'), endian);
  const type = h.u16(16);
  const machine = h.u16(18);
  const names = { typeName: ET_NAMES[type] ?? `0x${type.toString(16)}`, machineName: MACHINES[machine] ?? `machine ${machine}` };
  const header: ElfHeader =
    bits === 64
      ? {
          bits, endian, type, machine, ...names,
          entry: h.u64(24), phoff: h.off64(32), shoff: h.off64(40),
          phentsize: h.u16(54), phnum: h.u16(56), shentsize: h.u16(58), shnum: h.u16(60), shstrndx: h.u16(62),
        }
      : {
          bits, endian, type, machine, ...names,
          entry: BigInt(h.u32(24)), phoff: h.u32(28), shoff: h.u32(32),
          phentsize: h.u16(42), phnum: h.u16(44), shentsize: h.u16(46), shnum: h.u16(48), shstrndx: h.u16(50),
        };
  if (header.phoff < 0) r.fail('e_phoff does not fit in 53 bits', bits === 64 ? 32 : 28);
  if (header.shoff < 0) r.fail('e_shoff does not fit in 53 bits', bits === 64 ? 40 : 32);
  return header;
}
