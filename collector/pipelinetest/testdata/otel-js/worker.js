'use strict';
// "pricer" and "fulfil": the workers of the messaging test, consumers of
// the RabbitMQ queue named by WORKER (amqplib). Each serves GET /healthz on
// PORT once it consumes.
//   WORKER=pricer  answers a price request on its replyTo queue; it fails
//     every time: the handler throws, and the worker records the error on
//     the consumer span, replies with the error and nacks the message.
//   WORKER=fulfil  processes an order; an order for item 13 fails the same
//     way (recorded, nacked), the others are acked.
const http = require('http');
const amqp = require('amqplib');
const { trace, SpanStatusCode } = require('@opentelemetry/api');

const port = Number(process.env.PORT);
const amqpURL = process.env.AMQP_URL;
const queue = process.env.WORKER;
if (!Number.isInteger(port) || port <= 0 || !amqpURL || !['pricer', 'fulfil'].includes(queue)) {
  console.error('worker: env PORT, AMQP_URL and WORKER (pricer or fulfil) are required');
  process.exit(2);
}
const source = queue === 'pricer' ? 'pricer' : 'orders';

function handle(request) {
  if (queue === 'pricer') throw new Error(`no tariff for item ${request.item}`);
  if (request.item === 13) throw new Error(`item ${request.item} is out of stock in every warehouse`);
  return { fulfilled: request.item };
}

async function main() {
  const conn = await amqp.connect(amqpURL);
  const ch = await conn.createChannel();
  await ch.assertQueue(source, { durable: false });
  await ch.consume(source, (msg) => {
    let reply;
    let failed = false;
    try {
      reply = handle(JSON.parse(msg.content.toString()));
    } catch (err) {
      const span = trace.getActiveSpan();
      span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      reply = { error: err.message };
      failed = true;
    }
    if (msg.properties.replyTo) {
      ch.sendToQueue(msg.properties.replyTo, Buffer.from(JSON.stringify(reply)), { correlationId: msg.properties.correlationId });
    }
    if (failed) ch.nack(msg, false, false);
    else ch.ack(msg);
  });
  http.createServer((req, res) => res.end('ok')).listen(port, '127.0.0.1', () => {
    console.log(`${queue}: listening on http://127.0.0.1:${port}`);
  });
}

main().catch((err) => {
  console.error(`${queue}: ${err.message}`);
  process.exit(1);
});
