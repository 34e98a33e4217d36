'use strict';
// "back": the downstream service. GET /boom fails inside an express handler.
const express = require('express');

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error('back: env PORT is required');
  process.exit(2);
}

const app = express();

app.get('/healthz', (req, res) => {
  res.type('text/plain').send('ok');
});

app.get('/work', (req, res) => {
  res.json({ service: 'back', item: 42, status: 'in stock' });
});

app.get('/boom', (req, res) => {
  // Thrown synchronously: express catches it and its default error handler
  // answers 500.
  throw new Error('inventory lookup failed: item 42 not found in the catalogue');
});

app.listen(port, '127.0.0.1', () => {
  console.log(`back: listening on http://127.0.0.1:${port}`);
});
