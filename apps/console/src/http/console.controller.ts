import { Body, Controller, Delete, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsoleAuth, sessionId } from '../auth/console-auth';
import { StatusBoard } from '../board/status-board.service';
import { DeadLetters } from '../dlq/dead-letters.service';
import { consoleOpenApiDocument } from './console-openapi';
import { PageStreams } from './page-streams';

/** The page's files, built by apps/console/build-web.mjs next to the bundle. */
const ASSETS = join(__dirname, 'assets');
const ASSET_TYPES: Record<string, string> = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.js.map': 'application/json',
  'console.css': 'text/css; charset=utf-8',
};
/** Scripts and styles from this origin only: nothing inline, nothing from elsewhere. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * The console: its page and assets (open: they hold no data), and its API (the admin token or
 * a session cookie): the current view, a live stream of views, a node's recent history, a job's
 * recent dead letters, and the exchange of the token for a session cookie.
 */
@Controller()
export class ConsoleController {
  private readonly files = new Map<string, Buffer>();

  constructor(
    private readonly auth: ConsoleAuth,
    private readonly board: StatusBoard,
    private readonly deadLetters: DeadLetters,
    private readonly streams: PageStreams,
  ) {}

  @Get()
  async page(@Res() reply: FastifyReply) {
    void reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', CSP)
      .header('x-frame-options', 'DENY').header('referrer-policy', 'no-referrer').send(await this.file('index.html'));
  }

  @Get('assets/:name')
  async asset(@Param('name') name: string, @Res() reply: FastifyReply) {
    const type = ASSET_TYPES[name];
    if (!type) return void reply.code(404).send({ error: 'not found' });
    void reply.header('content-type', type).header('cache-control', 'max-age=300').send(await this.file(name));
  }

  @Post('api/session')
  session(@Body() body: { token?: unknown } | undefined, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const token = typeof body?.token === 'string' ? body.token : '';
    if (this.auth.open) return void reply.code(204).send();
    if (!this.auth.isToken(token)) return void reply.code(401).send({ error: 'wrong token' });
    const secure = request.headers['x-forwarded-proto'] === 'https' || request.protocol === 'https';
    void reply.code(204).header('set-cookie', this.auth.cookie(this.auth.openSession(), secure)).send();
  }

  @Delete('api/session')
  signOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    this.auth.closeSession(sessionId(request.headers.cookie));
    void reply.code(204).header('set-cookie', this.auth.cookie('', false).replace(/Max-Age=\d+/, 'Max-Age=0')).send();
  }

  @Get('openapi.json')
  openApi(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    if (!this.allowed(request, reply)) return;
    void reply.send(consoleOpenApiDocument());
  }

  @Get('api/view')
  view(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    if (!this.allowed(request, reply)) return;
    void reply.header('cache-control', 'no-store').send(this.board.view);
  }

  @Get('api/stream')
  stream(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    if (!this.allowed(request, reply)) return;
    reply.hijack();
    this.streams.add(reply.raw, this.board.view, (send) => this.board.subscribe(send));
  }

  @Get('api/history')
  history(@Query('job') job: string, @Query('node') node: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    if (!this.allowed(request, reply)) return;
    void reply.header('cache-control', 'no-store').send({ job, node, points: this.board.history.get(String(job), String(node)) });
  }

  @Get('api/dead-letters')
  letters(@Query('job') name: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    if (!this.allowed(request, reply)) return;
    const job = this.board.view.jobs.find((j) => j.name === name);
    const routes = job?.nodes.flatMap((n) => (n.kind === 'source' && typeof n.route === 'string' ? n.route.split(',') : [])) ?? [];
    void reply.header('cache-control', 'no-store').send({ job: name, deadLetters: job ? this.deadLetters.recent({ routes, topic: job.topic }) : [] });
  }

  private allowed(request: FastifyRequest, reply: FastifyReply): boolean {
    if (this.auth.allows(request.headers)) return true;
    void reply.code(401).header('www-authenticate', 'Bearer realm="flowgate-console"').send({ error: 'sign in with the admin token' });
    return false;
  }

  private async file(name: string): Promise<Buffer> {
    let content = this.files.get(name);
    if (!content) {
      content = await readFile(join(ASSETS, name));
      this.files.set(name, content);
    }
    return content;
  }
}
