import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { CRASH_PAGE_SCRIPT } from './crash-page.script';
import { sendCrashPage } from './crash-page';

/** The crash page for people: `/` is the paste box; results live at /v1/jobs/ID (Accept: text/html). Not part of the API spec. */
@ApiExcludeController()
@Controller()
export class CrashPageController {
  @Get()
  async index(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await sendCrashPage(req, reply, {});
  }

  @Get('crash-page.js')
  async script(@Res() reply: FastifyReply): Promise<void> {
    await reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(CRASH_PAGE_SCRIPT);
  }
}
