import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { DEFAULT_LIMITS } from '../../config/limits';
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

/** The largest ?wait accepted; MAX_WAIT_SECONDS (at most this too) is where a longer wait ends. */
export const WAIT_MAX = 600;
/** The one rule, said once: in the 400 for a bad ?wait and in the spec. */
export const WAIT_RULE = `wait: whole seconds from 0 to ${WAIT_MAX}; a wait over MAX_WAIT_SECONDS (default ${DEFAULT_LIMITS.maxWaitSeconds}) ends at MAX_WAIT_SECONDS`;

export class WaitQueryDto {
  @ApiPropertyOptional({ description: `Seconds to wait for the result before answering 202. ${WAIT_RULE}`, minimum: 0, maximum: WAIT_MAX, example: 10 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: WAIT_RULE })
  @Min(0, { message: WAIT_RULE })
  @Max(WAIT_MAX, { message: WAIT_RULE })
  wait?: number;
}
