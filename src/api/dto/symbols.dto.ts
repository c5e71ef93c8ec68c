import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** Shapes of the symbol store's API (runtime types live in symbol-store/stored-file.ts). */
export const MAX_LIST_LIMIT = 500;

export class ContentsDto {
  @ApiProperty({ description: '.symtab present' }) symtab!: boolean;
  @ApiProperty({ description: '.dynsym present' }) dynsym!: boolean;
  @ApiProperty({ description: 'DWARF (.debug_info) present' }) dwarf!: boolean;
  @ApiProperty({ description: "Go's .gopclntab present" }) gopclntab!: boolean;
}

export class DebuglinkDto {
  @ApiProperty({ example: 'libcrashy.so.debug' }) name!: string;
  @ApiProperty({ description: 'CRC-32 of the debug file the link names' }) crc!: number;
}

export class FileRecordDto {
  @ApiProperty({ example: 'libcrashy.so' }) name!: string;
  @ApiProperty() size!: number;
  @ApiProperty({ enum: ['executable', 'debuginfo', 'both'] }) kind!: string;
  @ApiProperty({ example: 'x86_64' }) arch!: string;
  @ApiProperty({ example: 'DYN' }) elf_type!: string;
  @ApiProperty({ type: ContentsDto }) has!: ContentsDto;
  @ApiPropertyOptional() gnu_build_id?: string;
  @ApiPropertyOptional({ description: "Go's build id as `go tool buildid` prints it" }) go_build_id?: string;
  @ApiPropertyOptional({ type: DebuglinkDto }) debuglink?: DebuglinkDto;
  @ApiPropertyOptional({ description: 'CRC-32 of the file (what a .gnu_debuglink names)' }) crc32?: number;
  @ApiProperty() uploaded_at!: string;
  @ApiPropertyOptional({ description: 'Upstream debuginfod server it was fetched from' }) source?: string;
}

export class StoredFilesDto {
  @ApiPropertyOptional({ type: FileRecordDto }) executable?: FileRecordDto;
  @ApiPropertyOptional({ type: FileRecordDto }) debuginfo?: FileRecordDto;
}

export class StoredFileDto {
  @ApiProperty({ description: 'The key: GNU build-id, or the hex of Go\'s build id for Go binaries without one' }) build_id!: string;
  @ApiPropertyOptional() gnu_build_id?: string;
  @ApiPropertyOptional() go_build_id?: string;
  @ApiProperty() name!: string;
  @ApiProperty() size!: number;
  @ApiProperty({ example: 'x86_64' }) arch!: string;
  @ApiProperty({ example: 'DYN' }) elf_type!: string;
  @ApiProperty({ enum: ['executable', 'debuginfo', 'both'], description: 'What is stored under the build-id, all uploads combined' })
  kind!: string;
  @ApiProperty({ type: ContentsDto }) has!: ContentsDto;
  @ApiPropertyOptional({ type: DebuglinkDto }) debuglink?: DebuglinkDto;
  @ApiProperty() uploaded_at!: string;
  @ApiProperty({ type: StoredFilesDto, description: 'The stored files, as debuginfod serves them' }) files!: StoredFilesDto;
  @ApiPropertyOptional({
    description:
      'GET /v1/symbols/ID: the symcache (the compact lookup table workers answer from in-process): building, ready, failed (why), or none (no worker has seen the build-id yet; it is built on first need). While it is not ready llvm-symbolizer answers, with the same results.',
    example: 'ready',
  })
  symcache?: string;
}

export class UploadResultDto {
  @ApiProperty() build_id!: string;
  @ApiPropertyOptional() gnu_build_id?: string;
  @ApiPropertyOptional() go_build_id?: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Bytes received' }) size!: number;
  @ApiProperty({ example: 'x86_64' }) arch!: string;
  @ApiProperty({ example: 'DYN' }) elf_type!: string;
  @ApiProperty({ enum: ['executable', 'debuginfo', 'both'], description: 'What this file is' }) kind!: string;
  @ApiProperty({ type: ContentsDto }) has!: ContentsDto;
  @ApiPropertyOptional({ type: DebuglinkDto }) debuglink?: DebuglinkDto;
  @ApiProperty({ description: 'false when this build-id already had this file' }) created!: boolean;
  @ApiProperty({ enum: ['executable', 'debuginfo', 'both'], description: 'What the store now holds for the build-id' }) stored!: string;
}

export class UploadResponseDto {
  @ApiProperty({ type: [UploadResultDto] }) files!: UploadResultDto[];
}

export class SymbolListDto {
  @ApiProperty({ type: [StoredFileDto] }) items!: StoredFileDto[];
  @ApiPropertyOptional({ description: 'Pass as ?cursor= for the next page; absent on the last page' }) next_cursor?: string;
}

export class ListSymbolsQueryDto {
  @ApiPropertyOptional({ description: 'Only files uploaded under this file name (e.g. libcrashy.so)' })
  @IsOptional() @IsString() @MaxLength(255)
  name?: string;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional() @IsString() @Matches(/^[0-9a-f]{8,256}$/, { message: 'cursor must be a next_cursor value (hex)' })
  cursor?: string;

  @ApiPropertyOptional({ description: `Page size, 1..${MAX_LIST_LIMIT}`, default: 50 })
  @IsOptional() @Transform(({ value }) => (value === undefined ? undefined : Number(value))) @IsInt() @Min(1) @Max(MAX_LIST_LIMIT)
  limit?: number;
}
