'use strict';
// "front": the entry service. GET /checkout calls back over HTTP.
const http = require('http');
const express = require('express');

const port = Number(process.env.PORT);
const backUrl = process.env.BACK_URL;
if (!Number.isInteger(port) || port <= 0 || !backUrl) {
  console.error('front: env PORT and BACK_URL are required');
  process.exit(2);
}

// GET url with Node's http module; calls done(err, statusCode, body).
function get(url, callback) {
  let called = false;
  const done = (...args) => {
    if (!called) {
      called = true;
      callback(...args);
    }
  };
  http
    .get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => done(null, res.statusCode, body));
      res.on('error', done);
    })
    .on('error', done);
}

const app = express();

app.get('/healthz', (req, res) => {
  res.type('text/plain').send('ok');
});

app.get('/checkout', (req, res, next) => {
  const mode = req.query.mode === 'boom' ? 'boom' : 'ok';
  get(`${backUrl}/${mode === 'boom' ? 'boom' : 'work'}`, (err, status, body) => {
    if (err) {
      // The call itself failed (e.g. ECONNREFUSED when back is down): hand the
      // error to express; its default error handler answers 502 (err.status).
      err.status = 502;
      return next(err);
    }
    if (status >= 500) {
      // back answered 5xx: answer 502 explicitly.
      return res.status(502).type('text/plain').send(`back answered ${status}`);
    }
    res.json({ service: 'front', mode, backStatus: status, backBody: body });
  });
});

app.listen(port, '127.0.0.1', () => {
  console.log(`front: listening on http://127.0.0.1:${port}`);
});
