'use strict';
// "deps": a fastify service that shop calls, run once per dependency (recs,
// payments, cache, catalog; OTEL_SERVICE_NAME names it). ?fail=1 makes a
// route throw: fastify answers 500.
const fastify = require('fastify');

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error('deps: env PORT is required');
  process.exit(2);
}
const name = process.env.OTEL_SERVICE_NAME || 'deps';

const app = fastify({ logger: false });

app.get('/healthz', { config: { otel: false } }, async () => 'ok');

app.get('/suggestions', async (request) => {
  if (request.query.fail) throw new Error('recs: model not loaded');
  return { items: [7, 9] };
});

app.post('/charge', async (request) => {
  if (request.query.fail) throw new Error('ledger: account 7 is locked');
  return { charged: true };
});

app.get('/price', async (request) => {
  if (request.query.fail) throw new Error('catalog: no such table: prices');
  return { amount: 1250 };
});

// Answers after a second: longer than shop waits for the cache.
app.get('/slow', async () => {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return { amount: 1250 };
});

app.listen({ port, host: '127.0.0.1' }).then(
  () => console.log(`${name}: listening on http://127.0.0.1:${port}`),
  (err) => {
    console.error(`${name}: ${err.message}`);
    process.exit(1);
  },
);
