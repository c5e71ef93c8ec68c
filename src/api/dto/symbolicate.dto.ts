import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

export class ModuleHintDto {
  @ApiProperty({ description: 'Path of the mapped file as it appears in the maps', example: '/opt/app/libcrashy.so' })
  @IsString()
  @MaxLength(4096)
  path!: string;

  @ApiProperty({ description: 'GNU build-id (hex) of that file, read from the live process', example: '3f2a9c...' })
  @IsString()
  @Matches(/^[0-9a-fA-F]{8,256}$/, { message: 'build_id must be 8-256 hex digits' })
  build_id!: string;
}

/** No options are defined yet: any key inside `options` is refused by name, like unknown fields. */
export class SymbolicateOptionsDto {}

export class SymbolicateRequestDto {
  @ApiPropertyOptional({ description: 'Go traceback text (stderr of the crash). May also hold the maps after it. Required unless crash_dump is given.' })
  @IsOptional()
  @IsString()
  traceback?: string;

  @ApiPropertyOptional({ description: '/proc/PID/maps snapshot of the crashed process' })
  @IsOptional()
  @IsString()
  maps?: string;

  @ApiPropertyOptional({ description: 'Another crash dump: a JVM hs_err log or an Android tombstone (alone, or beside the Go traceback of the same crash)' })
  @IsOptional()
  @IsString()
  crash_dump?: string;

  @ApiPropertyOptional({ type: [ModuleHintDto], description: 'Pin mapped paths to build-ids (at most 10,000)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10_000)
  @ValidateNested({ each: true })
  @Type(() => ModuleHintDto)
  modules?: ModuleHintDto[];

  @ApiPropertyOptional({ type: SymbolicateOptionsDto, description: 'Reserved for options: an empty object (no option is defined yet; unknown keys are refused)' })
  @IsOptional()
  @IsObject()
  options?: SymbolicateOptionsDto;
}

export class WaitQueryDto {
  @ApiPropertyOptional({
    description: 'Seconds to wait for the result before answering 202 (capped by MAX_WAIT_SECONDS, default cap 60)',
    minimum: 0,
    maximum: 600,
    example: 10,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600)
  wait?: number;
}
