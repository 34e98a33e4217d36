'use strict';
// "queuefront": the entry service of the messaging test. It talks to its
// workers over RabbitMQ (amqplib):
//   GET /price?mode=throw|fallback  asks pricer for a price over the queue
//     "pricer" and waits up to 2 s for the reply on a reply queue of its own
//     (request-reply). An error reply answers 502 (mode=throw) or a default
//     price with 200 (mode=fallback).
//   POST /orders?item=N  publishes the order to the queue "orders" and
//     answers 202 at once (fire-and-forget): fulfil processes it later.
const http = require('http');
const amqp = require('amqplib');
const express = require('express');

const port = Number(process.env.PORT);
const amqpURL = process.env.AMQP_URL;
if (!Number.isInteger(port) || port <= 0 || !amqpURL) {
  console.error('queuefront: env PORT and AMQP_URL are required');
  process.exit(2);
}

async function main() {
  const conn = await amqp.connect(amqpURL);
  const ch = await conn.createChannel();
  await ch.assertQueue('pricer', { durable: false });
  await ch.assertQueue('orders', { durable: false });
  const replies = await ch.assertQueue('', { exclusive: true });
  const waiting = new Map(); // correlation ID → resolve
  await ch.consume(replies.queue, (msg) => {
    const resolve = waiting.get(msg.properties.correlationId);
    if (resolve) {
      waiting.delete(msg.properties.correlationId);
      resolve(JSON.parse(msg.content.toString()));
    }
  }, { noAck: true });

  let next = 0;
  const ask = (item) => new Promise((resolve) => {
    const id = String(++next);
    const timer = setTimeout(() => { waiting.delete(id); resolve({ error: 'pricer did not answer in 2 s' }); }, 2000);
    waiting.set(id, (reply) => { clearTimeout(timer); resolve(reply); });
    ch.sendToQueue('pricer', Buffer.from(JSON.stringify({ item })), { correlationId: id, replyTo: replies.queue });
  });

  const app = express();
  app.get('/healthz', (req, res) => res.type('text/plain').send('ok'));
  app.get('/price', async (req, res) => {
    const reply = await ask(42);
    if (!reply.error) return res.json({ item: 42, price: reply.price });
    if (req.query.mode === 'fallback') return res.json({ item: 42, price: 100, fallback: true });
    res.status(502).type('text/plain').send(`pricer failed: ${reply.error}`);
  });
  app.post('/orders', (req, res) => {
    ch.sendToQueue('orders', Buffer.from(JSON.stringify({ item: Number(req.query.item) })));
    res.status(202).json({ accepted: true });
  });
  http.createServer(app).listen(port, '127.0.0.1', () => {
    console.log(`queuefront: listening on http://127.0.0.1:${port}`);
  });
}

main().catch((err) => {
  console.error(`queuefront: ${err.message}`);
  process.exit(1);
});
