'use strict';
// "shop": a fastify entry service that calls its dependencies with fetch.
// Each route is a shape of failure the request survives or does not
// (docs/cli.md, "Failures the request survived").
const fastify = require('fastify');
const { trace } = require('@opentelemetry/api');

const port = Number(process.env.PORT);
const urls = {
  recs: process.env.RECS_URL,
  payments: process.env.PAYMENTS_URL,
  cache: process.env.CACHE_URL,
  catalog: process.env.CATALOG_URL,
};
if (!Number.isInteger(port) || port <= 0 || Object.values(urls).some((u) => !u)) {
  console.error('shop: env PORT, RECS_URL, PAYMENTS_URL, CACHE_URL and CATALOG_URL are required');
  process.exit(2);
}
const tracer = trace.getTracer('shop');

// Optional: suggestions for the page. A failure is logged and the page goes on.
async function suggestions(log) {
  const res = await fetch(`${urls.recs}/suggestions?fail=1`);
  if (!res.ok) log.warn(`recs answered ${res.status}: no suggestions`);
}

// Essential: the charge. Returns the status payments answered.
async function charge() {
  const res = await fetch(`${urls.payments}/charge?fail=1`, { method: 'POST' });
  return res.status;
}

// The cached price, under a span of its own that records no status: a
// failed read (here a timeout) is a miss, and the caller falls back.
function cachedPrice(log) {
  return tracer.startActiveSpan('cache get', async (span) => {
    try {
      const res = await fetch(`${urls.cache}/slow`, { signal: AbortSignal.timeout(100) });
      return res.ok ? (await res.json()).amount : undefined;
    } catch (err) {
      log.warn(`cache: ${err.message}: reading the catalog`);
      return undefined;
    } finally {
      span.end();
    }
  });
}

const app = fastify({ logger: false });

app.get('/healthz', { config: { otel: false } }, async () => 'ok');

// recs fails, shop goes on; payments fails, shop answers 502.
app.get('/optional-then-essential', async (request, reply) => {
  await suggestions(request.log);
  const status = await charge();
  return reply.code(502).send(`payments answered ${status}`);
});

// payments fails first; shop still asks recs, which fails too, and fails
// with an error that names payments.
app.get('/essential-then-optional', async (request) => {
  const status = await charge();
  await suggestions(request.log);
  throw Object.assign(new Error(`charge: payments answered ${status}`), { statusCode: 502 });
});

// recs and payments are asked at the same time; both fail: 502.
app.get('/fan-out', async (request, reply) => {
  const [recs, payments] = await Promise.all([
    fetch(`${urls.recs}/suggestions?fail=1`),
    fetch(`${urls.payments}/charge?fail=1`, { method: 'POST' }),
  ]);
  return reply.code(502).send(`recs answered ${recs.status}, payments ${payments.status}`);
});

// The cache read times out, the catalog read that replaces it succeeds, and
// the handler fails for a reason of its own: 500.
app.get('/cache-then-own-failure', async (request) => {
  const price = (await cachedPrice(request.log)) ?? (await (await fetch(`${urls.catalog}/price`)).json()).amount;
  throw new Error(`no discount rule for item 42 at price ${price}`);
});

// The cache read times out and the catalog read that replaces it fails
// too: 502.
app.get('/cache-then-fallback-fails', async (request, reply) => {
  if ((await cachedPrice(request.log)) === undefined) {
    const res = await fetch(`${urls.catalog}/price?fail=1`);
    if (!res.ok) return reply.code(502).send(`catalog answered ${res.status}`);
  }
  return { ok: true };
});

app.listen({ port, host: '127.0.0.1' }).then(
  () => console.log(`shop: listening on http://127.0.0.1:${port}`),
  (err) => {
    console.error(`shop: ${err.message}`);
    process.exit(1);
  },
);
