// The NestJS peer, microservice half: NestFactory.createMicroservice with Transport.KAFKA and a
// @MessagePattern('echo') handler returning the echo answer (the body plus result,
// request_timestamp = the request record's timestamp, response_timestamp). Nest's ServerKafka
// publishes the return value to the reply topic and partition the client asked for.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, MessagePattern, Payload, Transport } from '@nestjs/microservices';
import { ECHO_PATTERN, kafkaOptions } from './kafka-options.mjs';

class EchoHandler {
  echo(body, context) {
    return { ...body, result: 'ok', request_timestamp: Number(context.getMessage().timestamp), response_timestamp: Date.now() };
  }
}
const descriptor = Object.getOwnPropertyDescriptor(EchoHandler.prototype, 'echo');
MessagePattern(ECHO_PATTERN)(EchoHandler.prototype, 'echo', descriptor);
Payload()(EchoHandler.prototype, 'echo', 0);
Ctx()(EchoHandler.prototype, 'echo', 1);
Controller()(EchoHandler);

class ServiceModule {}
Module({ controllers: [EchoHandler] })(ServiceModule);

const app = await NestFactory.createMicroservice(ServiceModule, {
  transport: Transport.KAFKA,
  options: kafkaOptions('nest-bench-service'),
  logger: ['error', 'warn'],
});
app.enableShutdownHooks();
await app.listen();
process.stdout.write('nest service listening\n');
