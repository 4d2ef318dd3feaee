'use strict';
// Join tokens in the room web client and the WebSocket room protocol, end to end with real
// headless Chromium against a confd that requires tokens (auth.join_tokens, HS256): a join
// link /r/{room}#token=... lets Alice and Bob in and leaves the address bar clean; Carol,
// whose token only lets her watch, is told so, sees the others and sends nobody anything;
// Dave, who may only publish, is seen and sent nothing; joins without a valid token, or with
// another room's, are closed with 4401/4403 and never welcomed. Tokens are minted here with
// node:crypto from the secret file confd reads.
//
//   ctest --test-dir build -R browser_join_auth         (installs playwright-core, then runs)
//   cd tests/browser && npm ci && CONFD_PATH=../../build/daemon/confd node --test join_auth.test.js
//
// Environment: CONFD_PATH (required), CHROMIUM_PATH (default /usr/bin/chromium),
// BROWSER_TEST_OUTPUT_DIR (screenshots, logs; default tests/browser/test-output).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const {
  launchOptions, sleep, makeTestEnv, runBrowserTest, launchBrowser, newPage, joinRoom, inbound,
  waitForMediaFrom, socketExchange,
} = require('./support');

const QUIET_MS = 4000;        // how long Carol is watched for media she must not send

// 15 fps: three Chromium pages encode and decode at once on this machine's 2 cores.
const LAUNCH_OPTIONS = launchOptions({ fps: 15 });

// ---- tokens -------------------------------------------------------------------------------------

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

// A compact JWS of `claims` under `header`, HMAC-SHA256 with `secret`.
function mint(secret, claims, header = { alg: 'HS256', typ: 'JWT' }) {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
}

// A join token for `room` with `grants`, expiring `ttl` seconds from now (negative: expired).
function joinToken(secret, room, sub, grants, ttl = 600) {
  const now = Math.floor(Date.now() / 1000);
  return mint(secret, { room, sub, name: sub, grants, iat: now, exp: now + ttl });
}

// ---- the test's confd, browser and pages -----------------------------------------------------

// A test's environment (see makeTestEnv) with its HS256 secret, a confd config that requires
// join tokens signed with it, and token(), which mints one and remembers it.
function makeEnv(name) {
  const env = makeTestEnv('join-auth', name);
  // As `openssl rand -base64 48 > FILE` writes it; confd trims the newline, and so do we.
  const keyFile = path.join(env.tmp, 'join-secret');
  fs.writeFileSync(keyFile, crypto.randomBytes(48).toString('base64') + '\n', { mode: 0o600 });
  const config = path.join(env.tmp, 'confd.json');
  fs.writeFileSync(config, JSON.stringify({
    auth: { join_tokens: { algorithm: 'HS256', key_file: keyFile, required: true } },
  }));
  env.confdArgs = ['--config', config];
  env.secret = fs.readFileSync(keyFile, 'utf8').trim();
  env.tokens = [];
  env.token = (...args) => {
    const token = joinToken(env.secret, ...args);
    env.tokens.push(token);
    return token;
  };
  return env;
}

// What confd logged, refusals included, names no token nor any part of one.
function checkTokensNotLogged(env) {
  const log = fs.readFileSync(path.join(env.outDir, 'confd.stderr'), 'utf8') +
    fs.readFileSync(path.join(env.outDir, 'confd.stdout'), 'utf8');
  for (const token of env.tokens) {
    // The whole token, its claims and its signature (the header is a public constant).
    for (const part of [token, ...token.split('.').slice(1)].filter((p) => p.length >= 8)) {
      assert.ok(!log.includes(part), 'confd logged (part of) a join token');
    }
  }
}

// Runs `body(env)` against a confd of its own that requires tokens (see runBrowserTest).
function runTest(t, name, body) {
  return runBrowserTest(t, () => makeEnv(name), body, checkTokensNotLogged);
}

// Opens the join link /r/{room}#token=..., joins as `name`; resolves with the participant id.
function joinWithLink(env, page, room, name, token) {
  return joinRoom(page, `${env.confd.url}r/${room}#token=${encodeURIComponent(token)}`, name);
}

// Bytes the page's peer connection has sent as RTP, over all its outbound streams.
function outboundBytes(page) {
  return page.evaluate(async () => {
    let bytes = 0;
    (await window.confRoom.pc.getStats()).forEach((report) => {
      if (report.type === 'outbound-rtp') bytes += report.bytesSent || 0;
    });
    return bytes;
  });
}

// What `page` shows and holds of participant `id`: its tile, its announced tracks, the m-lines
// it is subscribed to and the bytes received on them.
async function seenOf(page, id) {
  const shown = await page.evaluate((pid) => {
    const p = window.confRoom.participants.get(pid);
    const tile = document.querySelector(`[data-participant-id="${pid}"]`);
    const video = tile && tile.querySelector('video');
    return {
      tile: Boolean(tile),
      hasVideo: Boolean(tile && tile.classList.contains('has-video')),
      videoTracks: video && video.srcObject ? video.srcObject.getTracks().length : 0,
      tracks: p ? p.tracks.length : -1,
      subscriptions: [...window.confRoom.subscriptions.values()]
        .filter((s) => s.participantId === pid).length,
    };
  }, id);
  const rows = (await inbound(page)).filter((r) => r.participantId === id);
  shown.bytesReceived = rows.reduce((n, r) => n + r.bytesReceived, 0);
  return shown;
}

test('a join link lets Alice and Bob in; a watch-only token lets Carol watch and send nothing',
     async (t) => {
  await runTest(t, 'link', async (env) => {
    const room = 'auth-link';
    const browser = await launchBrowser(env, LAUNCH_OPTIONS);
    const full = { publish: true, subscribe: true };
    const alice = { name: 'Alice', page: await newPage(env, browser, 'Alice') };
    const bob = { name: 'Bob', page: await newPage(env, browser, 'Bob') };

    await t.test('Alice and Bob join with full tokens and decode each other', async () => {
      for (const p of [alice, bob]) {
        p.id = await joinWithLink(env, p.page, room, p.name, env.token(room, p.name, full));
      }
      await waitForMediaFrom(alice.page, 'Alice', [bob.id]);
      await waitForMediaFrom(bob.page, 'Bob', [alice.id]);
      for (const p of [alice, bob]) {
        const where = await p.page.evaluate(() => ({ hash: location.hash, href: location.href }));
        assert.equal(where.hash, '', `the token left ${p.name}'s address bar`);
        assert.doesNotMatch(where.href, /token/);
        assert.equal(new URL(where.href).pathname, `/r/${room}`);
      }
      assert.equal(await alice.page.evaluate(() => window.confRoom.lastError), null);
    });

    await t.test('Carol, subscribe only, joins with her camera: told, watches, sends nothing',
                 async () => {
      const carol = { name: 'Carol', page: await newPage(env, browser, 'Carol') };
      carol.id = await joinWithLink(env, carol.page, room, 'Carol',
                                    env.token(room, 'Carol', { subscribe: true }));
      assert.ok(await carol.page.evaluate(() => Boolean(
        document.querySelector('[data-self="true"] video').srcObject)),
                'Carol has her camera (so she asked to publish)');
      const denied = await carol.page.evaluate(() => window.confRoom.received.find(
        (m) => m.type === 'error' && m.in_reply_to === 'join') || null);
      assert.ok(denied, 'Carol got an error about her join');
      assert.equal(denied.code, 'permission_denied');
      assert.match(denied.message, /joined to watch only/);
      assert.equal(await carol.page.evaluate(() => window.confRoom.lastError.code),
                   'permission_denied', 'the page shows the error');

      await waitForMediaFrom(carol.page, 'Carol', [alice.id, bob.id]);
      await sleep(QUIET_MS); // time enough for anything of Carol's to reach the others

      assert.equal(await outboundBytes(carol.page), 0, 'Carol sent no RTP');
      const offers = await carol.page.evaluate(() => window.confRoom.received
        .filter((m) => m.type === 'offer')
        .flatMap((m) => Object.values(m.mids || {}))
        .filter((slot) => slot.direction === 'publish').length);
      assert.equal(offers, 0, 'confd offered Carol no publish slot');
      for (const p of [alice, bob]) {
        const seen = await seenOf(p.page, carol.id);
        t.diagnostic(`${p.name} sees Carol as ${JSON.stringify(seen)}`);
        assert.deepEqual(seen, {
          tile: true, hasVideo: false, videoTracks: 0, tracks: 0, subscriptions: 0,
          bytesReceived: 0,
        }, `${p.name} shows Carol's tile without media and receives nothing from her`);
      }
      // Alice and Bob go on seeing each other.
      await waitForMediaFrom(alice.page, 'Alice', [bob.id]);
      const screenshot = path.join(env.outDir, 'alice.png');
      await alice.page.screenshot({ path: screenshot });
      t.diagnostic(`screenshot: ${screenshot}`);
      await carol.page.close();
    });

    await t.test('Dave, publish only, is seen by the others and is sent nobody', async () => {
      const dave = { name: 'Dave', page: await newPage(env, browser, 'Dave') };
      dave.id = await joinWithLink(env, dave.page, room, 'Dave',
                                   env.token(room, 'Dave', { publish: true }));
      await waitForMediaFrom(alice.page, 'Alice', [dave.id]);
      await waitForMediaFrom(bob.page, 'Bob', [dave.id]);
      const daveSees = await dave.page.evaluate(() => ({
        error: window.confRoom.lastError,
        subscribeSlots: window.confRoom.received.filter((m) => m.type === 'offer')
          .flatMap((m) => Object.values(m.mids || {}))
          .filter((slot) => slot.direction === 'subscribe').length,
      }));
      assert.deepEqual(daveSees, { error: null, subscribeSlots: 0 },
                       'Dave joins without an error and is offered no one\'s tracks');
      assert.ok(await outboundBytes(dave.page) > 0, 'Dave sends');
      assert.equal((await inbound(dave.page)).reduce((n, r) => n + r.bytesReceived, 0), 0,
                   'Dave receives no media');
    });
  });
});

test('room protocol joins without a valid token for the room are closed, never welcomed',
     async (t) => {
  await runTest(t, 'socket', async (env) => {
    const room = 'auth-socket';
    const page = await newPage(env, await launchBrowser(env, LAUNCH_OPTIONS), 'raw');
    await page.goto(`${env.confd.url}r/${room}`); // an origin for the sockets; no token, no join
    // Opens /ws/{room}, sends a join with `token`; resolves with what came back and the close.
    const exchange = (token) => socketExchange(page, room, [JSON.stringify({
      type: 'join', name: 'Mallory', ...(token === null ? {} : { token }),
      publish: { audio: false, video: false },
    })]);

    const full = { publish: true, subscribe: true };
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      { what: 'no token', token: null, code: 4401, reason: /join token is required/ },
      { what: 'an empty token', token: '', code: 4401, reason: /join token is required/ },
      { what: "another room's token", token: env.token('auth-elsewhere', 'Mallory', full),
        code: 4403, reason: /for room 'auth-elsewhere', not 'auth-socket'/ },
      { what: 'an expired token', token: env.token(room, 'Mallory', full, -600), code: 4401,
        reason: /expired at/ },
      { what: 'a token signed with another secret',
        token: joinToken('x'.repeat(48), room, 'Mallory', full), code: 4401,
        reason: /signature does not verify/ },
      { what: 'alg none', code: 4401, reason: /"none" is not accepted/,
        token: mint('', { room, sub: 'Mallory', grants: full, exp: now + 600 },
                    { alg: 'none', typ: 'JWT' }).replace(/[^.]*$/, '') },
    ];
    for (const c of cases) if (c.token) env.tokens.push(c.token);
    const results = await Promise.all(cases.map((c) => exchange(c.token)));
    t.diagnostic(JSON.stringify(results));
    cases.forEach((c, i) => {
      const { messages, close } = results[i];
      assert.ok(close, `${c.what}: the socket was closed`);
      assert.equal(close.code, c.code, `${c.what}: close code`);
      assert.match(close.reason, c.reason, `${c.what}: the close says why`);
      assert.ok(!messages.some((m) => m.type === 'welcome'), `${c.what}: no welcome`);
      const error = messages.find((m) => m.type === 'error');
      assert.ok(error, `${c.what}: an error message before the close`);
      assert.equal(error.in_reply_to, 'join');
      assert.equal(error.code, c.code === 4403 ? 'permission_denied' : 'unauthenticated');
    });

    // A valid token on the same page is welcomed, and finds none of the refused in the room.
    const welcome = await page.evaluate(({ room, token }) => new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${location.host}/ws/${room}`);
      setTimeout(() => reject(new Error('no welcome in 5 s')), 5000);
      ws.onopen = () => ws.send(JSON.stringify({ type: 'join', name: 'Dave', token,
                                                 publish: { audio: false, video: false } }));
      ws.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.type !== 'welcome') return;
        ws.send(JSON.stringify({ type: 'leave' }));
        resolve(message);
      };
    }), { room, token: env.token(room, 'Dave', { subscribe: true }) });
    assert.equal(welcome.room, room);
    assert.deepEqual(welcome.participants, [], 'nobody refused is in the room');
  });
});

// A second, raw room-protocol session from `page` with `token`: joins receive-only, sends
// `messages` one by one, collects what comes back for `waitMs`, leaves.
function rawSession(page, room, token, messages, waitMs = 1500) {
  return page.evaluate(({ room, token, messages, waitMs }) => new Promise((resolve) => {
    const ws = new WebSocket(`ws://${location.host}/ws/${room}`);
    const received = [];
    ws.onopen = () => ws.send(JSON.stringify({ type: 'join', name: 'Raw', token,
                                               publish: { audio: false, video: false } }));
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      received.push(message);
      if (message.type !== 'welcome') return;
      for (const m of messages) ws.send(JSON.stringify(m));
      setTimeout(() => {
        ws.send(JSON.stringify({ type: 'leave' }));
        resolve(received);
      }, waitMs);
    };
    ws.onclose = () => resolve(received);
  }), { room, token, messages, waitMs });
}

test('the record grant records the room and everyone is told; the admin grant removes',
     async (t) => {
  await runTest(t, 'grants', async (env) => {
    const room = 'auth-host';
    const hostGrants = { publish: true, subscribe: true, record: true, admin: true };
    const guestGrants = { publish: true, subscribe: true };
    const browser = await launchBrowser(env, LAUNCH_OPTIONS);
    const host = await newPage(env, browser, 'host');
    const guest = await newPage(env, browser, 'guest');
    const hostId = await joinWithLink(env, host, room, 'Host', env.token(room, 'Host', hostGrants));
    const guestId = await joinWithLink(env, guest, room, 'Guest',
                                       env.token(room, 'Guest', guestGrants));
    // Only the host is offered the Record button.
    assert.equal(await host.locator('#record').isVisible(), true, 'the host can record');
    assert.equal(await guest.locator('#record').isVisible(), false, 'the guest cannot');

    await host.getByRole('button', { name: 'Start recording' }).click();
    for (const [who, page] of [['host', host], ['guest', guest]]) {
      await page.locator('#recording').waitFor({ state: 'visible', timeout: 10000 });
      assert.match(await page.locator('#recording').textContent(), /being recorded/,
                   `${who} sees that the meeting is recorded`);
    }
    // A latecomer hears of it in its welcome.
    const late = await newPage(env, browser, 'late');
    await joinWithLink(env, late, room, 'Late', env.token(room, 'Late', { subscribe: true }));
    assert.equal(await late.evaluate(() => window.confRoom.recordings.size), 1,
                 'a latecomer is told at once');
    assert.equal(await late.locator('#recording').isVisible(), true);

    // Without the record and admin grants: refused in words, and nothing changes.
    const refused = await rawSession(guest, room, env.token(room, 'Guest2', guestGrants), [
      { type: 'record', recording: false },
      { type: 'remove', participant_id: hostId },
      { type: 'mute_track', participant_id: hostId, track_id: 'x', muted: true },
    ]);
    const errors = refused.filter((m) => m.type === 'error');
    t.diagnostic(JSON.stringify(errors));
    assert.deepEqual(errors.map((e) => [e.in_reply_to, e.code]),
                     [['record', 'permission_denied'], ['remove', 'permission_denied'],
                      ['mute_track', 'permission_denied']]);
    assert.match(errors[0].message, /'record' grant/);
    assert.equal(await host.evaluate(() => window.confRoom.state), 'joined', 'the host stays');
    assert.equal(await guest.evaluate(() => window.confRoom.recordings.size), 1,
                 'still recording');

    await host.getByRole('button', { name: 'Stop recording' }).click();
    for (const page of [host, guest, late]) {
      await page.locator('#recording').waitFor({ state: 'hidden', timeout: 15000 });
    }
    // The recording is on disk, finalized.
    const sessions = path.join(env.tmp, 'data', 'recordings', room, 'sessions');
    const [sessionFile] = fs.readdirSync(sessions);
    const session = JSON.parse(fs.readFileSync(path.join(sessions, sessionFile), 'utf8'));
    assert.equal(session.state, 'FINALIZED');
    assert.ok(session.recordings.length >= 2, 'the host and the guest were recorded');

    // A moderator (admin grant) removes the guest: the guest's page is closed with the
    // reason, and the others see it leave.
    const moderated = await rawSession(host, room, env.token(room, 'Mod', hostGrants),
                                       [{ type: 'remove', participant_id: guestId }]);
    assert.deepEqual(moderated.filter((m) => m.type === 'error'), []);
    await guest.waitForFunction(() => window.confRoom.close !== null, null, { timeout: 10000 });
    const close = await guest.evaluate(() => window.confRoom.close);
    assert.equal(close.code, 1000);
    assert.match(close.reason, /removed/);
    await host.waitForFunction((id) => !window.confRoom.participants.has(id), guestId,
                               { timeout: 10000 });
  });
});
