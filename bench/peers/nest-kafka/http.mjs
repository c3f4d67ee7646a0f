// The NestJS peer, HTTP half: what a NestJS user builds for request-response over Kafka. A
// controller on Fastify (NestFactory + FastifyAdapter) calls ClientKafka.send('echo', body) and
// answers with the microservice's reply (service.mjs). Plain JavaScript: the decorators are
// applied by hand, and the one injected dependency is named with @Inject(token), since there is
// no emitted design:paramtypes metadata.
import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Inject, Module, Post, ServiceUnavailableException, GatewayTimeoutException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { catchError, throwError, timeout, TimeoutError } from 'rxjs';
import { ECHO_PATTERN, kafkaOptions } from './kafka-options.mjs';

const ECHO_CLIENT = 'ECHO_CLIENT';
const TIMEOUT_MS = 10_000; // flowgate's default deadline

class EchoController {
  constructor(client) {
    this.client = client;
  }

  async onModuleInit() {
    this.client.subscribeToResponseOf(ECHO_PATTERN);
    await this.client.connect();
  }

  async onApplicationShutdown() {
    await this.client.close();
  }

  echo(body) {
    return this.client.send(ECHO_PATTERN, body).pipe(
      timeout(TIMEOUT_MS),
      catchError((error) => throwError(() => (error instanceof TimeoutError ? new GatewayTimeoutException() : error))),
    );
  }

  readyz() {
    // Ready once the reply consumer has its partitions (ClientKafka needs them to stamp replies).
    if (this.client.getConsumerAssignments()[`${ECHO_PATTERN}.reply`] === undefined) throw new ServiceUnavailableException();
    return { ready: true };
  }
}
Inject(ECHO_CLIENT)(EchoController, undefined, 0);
decorateMethod(EchoController, 'echo', [Post('v1/echo'), HttpCode(200)]);
Body()(EchoController.prototype, 'echo', 0);
decorateMethod(EchoController, 'readyz', [Get('readyz')]);
Controller()(EchoController);

class AppModule {}
Module({
  imports: [ClientsModule.register([{ name: ECHO_CLIENT, transport: Transport.KAFKA, options: kafkaOptions('nest-bench-http') }])],
  controllers: [EchoController],
})(AppModule);

function decorateMethod(target, name, decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name);
  for (const decorator of decorators.reverse()) decorator(target.prototype, name, descriptor);
}

const port = Number(process.env.PORT ?? 18200);
const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
app.enableShutdownHooks();
await app.listen(port, '127.0.0.1');
process.stdout.write(`nest http ready on ${port}\n`);
