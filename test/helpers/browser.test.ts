/** The Browser test helper itself: cookies per host:port and the transcript. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';

import { Browser } from './browser.js';

describe('Browser test helper', () => {
  it('keeps cookies per host:port with Path, Max-Age and Expires, and logs every exchange', async (t) => {
    const server = http.createServer((req, res) => {
      if (req.url === '/set') {
        res.setHeader('set-cookie', [
          'root=1; Path=/; HttpOnly',
          'scoped=2; Path=/app',
          'gone=3; Path=/; Max-Age=0',
          'old=4; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
          'later=5; Path=/; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
        ]);
        res.writeHead(302, { location: '/app/page' }).end('moved');
      } else if (req.url === '/clear') {
        res.setHeader('set-cookie', 'root=; Path=/; Max-Age=0');
        res.end('cleared');
      } else {
        res.end(`cookie: ${req.headers.cookie ?? ''}`);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      server.close();
      server.closeAllConnections();
    });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = new Browser();

    const { response, urls } = await browser.follow(`${origin}/set`);
    assert.deepEqual(urls, [`${origin}/set`, `${origin}/app/page`]);
    assert.equal(await browser.text(response), 'cookie: scoped=2; root=1; later=5');
    assert.equal(browser.cookiesFor(`${origin}/`), 'root=1; later=5');
    assert.equal(browser.cookie(`${origin}/application`, 'scoped'), undefined, 'path-match needs a / boundary');
    assert.equal(browser.cookiesFor(`http://localhost:${new URL(origin).port}/`), '', 'another host has its own jar');

    await browser.text(await browser.get(`${origin}/clear`));
    assert.equal(browser.cookie(`${origin}/`, 'root'), undefined);
    assert.match(browser.transcript(), /GET .*\/set\n\n302\n[\s\S]*moved/);
    assert.equal(browser.log.length, 3);
  });
});
