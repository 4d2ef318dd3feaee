'use strict';
// The room web client (GET / and /r/{room}) and the WebSocket room protocol (docs/protocol.md)
// end to end, with real headless Chromium: three participants see each other and one leaves;
// a participant whose browser freezes or dies is removed by confd; a WHIP publisher shows up
// as a participant; confd refuses protocol violations with the documented close codes.
//
//   ctest --test-dir build -L browser                  (installs playwright-core, then runs)
//   cd tests/browser && npm ci && CONFD_PATH=../../build/daemon/confd node --test room.test.js
//
// Environment: CONFD_PATH (required), CHROMIUM_PATH (default /usr/bin/chromium),
// BROWSER_TEST_OUTPUT_DIR (screenshots, logs; default tests/browser/test-output).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { chromium } = require('playwright-core');
const {
  JOIN_MS, launchOptions, killOnExit, sleep, waitFor, makeTestEnv, runBrowserTest,
  launchBrowser, newPage, joinRoom, inbound, waitForMediaFrom, socketExchange,
} = require('./support');

const LEAVE_SEEN_MS = 5000;       // Leave clicked → the others have dropped the tile
const RENEGOTIATE_MS = 10000;     // a track went away → the next offer no longer lists it
const KILLED_REMOVAL_MS = 5000;   // browser killed (its socket closes) → the others drop it
// Browser frozen (socket open, nothing sent) → the others drop it: confd ends a peer from
// which nothing has arrived for webrtc.silence_timeout_ms (15 s by default; webrtcbin 1.22
// runs no RFC 7675 consent checks, so confd watches the packets) and checks once a second.
const SILENCE_REMOVAL_MS = 15000;
const SILENCE_CHECK_MS = 5000; // the once-a-second check, the event, a loaded machine

// 15 fps: three or four Chromiums encode and decode at once on this machine's 2 cores.
const LAUNCH_OPTIONS = launchOptions({ fps: 15 });

// Runs `body(env)` against a confd of its own (see runBrowserTest).
function runTest(t, name, body) {
  return runBrowserTest(t, () => makeTestEnv('room', name), body);
}

// A Chromium in a process group of its own, to be frozen or killed: {browser, pid, signal}.
async function launchKillableBrowser(env) {
  const server = await chromium.launchServer(LAUNCH_OPTIONS);
  env.servers.push(server);
  const pid = server.process().pid;
  // Playwright starts Chromium detached: its pid leads a group holding every helper process
  // (renderers, network service), so a signal to the group reaches them all.
  const forget = killOnExit(() => {
    try { process.kill(-pid, 'SIGKILL'); } catch (e) { /* gone already */ }
  });
  server.process().on('exit', forget);
  const browser = await chromium.connect(server.wsEndpoint());
  return { browser, pid, signal: (name) => process.kill(-pid, name) };
}

// Opens /r/{room}, joins as `name`; resolves with the participant id confd gave.
function join(env, page, room, name) {
  return joinRoom(page, `${env.confd.url}r/${room}`, name);
}

function tiles(page) {
  return page.locator('[data-participant-id]').evaluateAll((elements) => elements.map((e) => ({
    id: e.dataset.participantId, speaking: e.dataset.speaking,
    name: e.querySelector('.name').textContent,
  })));
}

function receivedLeft(page, id) {
  return page.evaluate((pid) => window.confRoom.received.find(
    (m) => m.type === 'participant_left' && m.participant_id === pid) || null, id);
}

// Resolves with the ms from `since` until the tile of `id` has left `page`.
async function tileGoneAfter(page, id, since, ms) {
  await page.locator(`[data-participant-id="${id}"]`).waitFor({ state: 'detached', timeout: ms });
  return Date.now() - since;
}

// Alice and Bob (contexts of one browser) and Carol, each joined and decoding the others.
async function threeInRoom(env, room, carolBrowser) {
  const browser = await launchBrowser(env, LAUNCH_OPTIONS);
  const people = [];
  for (const name of ['Alice', 'Bob', 'Carol']) {
    const page = await newPage(env, name === 'Carol' && carolBrowser ? carolBrowser : browser,
                               name);
    people.push({ name, page, id: await join(env, page, room, name) });
  }
  assert.equal(new Set(people.map((p) => p.id)).size, 3, 'three distinct participant ids');
  await Promise.all(people.map((me) => waitForMediaFrom(
    me.page, me.name, people.filter((p) => p !== me).map((p) => p.id))));
  return people;
}

test('GET / and /r/{room} serve the room page; its form validates and joins', async (t) => {
  await runTest(t, 'page', async (env) => {
    for (const p of ['', 'r/room-1', 'r/room-1/']) {
      const response = await fetch(env.confd.url + p);
      assert.equal(response.status, 200, '/' + p);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.match(response.headers.get('content-security-policy'), /default-src 'self'/);
      const html = await response.text();
      assert.match(html, /^<!DOCTYPE html>/);
      assert.doesNotMatch(html, /<(script|link|img|iframe)[^>]+(src|href)=/i,
                          'no external resource');
    }
    assert.equal((await fetch(env.confd.url + 'r/a/b')).status, 404);

    const page = await newPage(env, await launchBrowser(env, LAUNCH_OPTIONS), 'Alice');
    await page.goto(env.confd.url);
    await page.getByLabel('Room name').fill('.hidden');
    await page.getByLabel('Your name').fill('Alice');
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    assert.match(await page.getByRole('alert').textContent(), /room name/);
    assert.equal(new URL(page.url()).pathname, '/', 'a bad room name goes nowhere');

    // A good one leads to /r/{room}, straight into the room.
    await page.getByLabel('Room name').fill('browser-form');
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await page.waitForURL(/\/r\/browser-form$/);
    await page.waitForFunction(() => window.confRoom.state === 'joined', null,
                               { timeout: JOIN_MS });
    await page.getByRole('button', { name: 'Leave' }).click();
    await page.waitForFunction(() => window.confRoom.close !== null, null, { timeout: 5000 });
    assert.equal(await page.evaluate(() => window.confRoom.close.code), 1000);

    // The name is remembered; a bad room in the path is explained.
    await page.goto(`${env.confd.url}r/browser-form`);
    assert.equal(await page.getByLabel('Your name').inputValue(), 'Alice');
    assert.equal(await page.evaluate(() => window.confRoom.state), 'idle');
    await page.goto(`${env.confd.url}r/.hidden`);
    assert.match(await page.getByRole('alert').textContent(), /not a room name|room name/);
  });
});

test('three participants see and hear each other; Leave removes a tile', async (t) => {
  await runTest(t, 'three', async (env) => {
    const people = await threeInRoom(env, 'browser-three');
    const [alice, bob, carol] = people;
    const ids = people.map((p) => p.id).sort();
    for (const me of people) {
      const shown = await tiles(me.page);
      assert.deepEqual(shown.map((s) => s.id).sort(), ids, `${me.name} shows a tile for each`);
      for (const tile of shown) assert.match(tile.speaking, /^(true|false)$/);
      const names = Object.fromEntries(shown.map((s) => [s.id, s.name]));
      for (const other of people) {
        assert.equal(names[other.id], other === me ? `${other.name} (you)` : other.name);
      }
    }
    await sleep(1000); // a few more frames, so the picture is not the first one
    const screenshot = path.join(env.outDir, 'grid-alice.png');
    await alice.page.screenshot({ path: screenshot });
    t.diagnostic(`screenshot: ${screenshot}`);

    const clicked = Date.now();
    await carol.page.getByRole('button', { name: 'Leave' }).click();
    const seen = await Promise.all([alice, bob].map(
      (p) => tileGoneAfter(p.page, carol.id, clicked, LEAVE_SEEN_MS)));
    t.diagnostic(`Carol's tile gone after ${seen.join(' / ')} ms`);
    for (const p of [alice, bob]) {
      const left = await receivedLeft(p.page, carol.id);
      assert.equal(left && left.reason, 'left', `${p.name} got participant_left reason left`);
      assert.equal(await p.page.evaluate(() => window.confRoom.participants.size), 1);
    }
    await carol.page.waitForFunction(() => window.confRoom.close !== null, null,
                                     { timeout: 5000 });
    const close = await carol.page.evaluate(() => window.confRoom.close);
    assert.deepEqual([close.code, close.reason], [1000, 'left'], 'confd closes with 1000 left');
    assert.equal(await carol.page.evaluate(() => window.confRoom.state), 'left');

    // confd renegotiates Carol's tracks away; Alice and Bob go on seeing each other.
    for (const p of [alice, bob]) {
      await waitFor(() => p.page.evaluate((id) => ![...window.confRoom.subscriptions.values()]
        .some((s) => s.participantId === id), carol.id), RENEGOTIATE_MS,
      `${p.name}'s offer drops Carol's m-lines`);
    }
    const frames = (rows) => rows.filter((r) => r.kind === 'video' && r.participantId === bob.id)
      .reduce((n, r) => n + r.framesDecoded, 0);
    const before = frames(await inbound(alice.page));
    // New frames keep coming (given a few seconds: the sanitizer build on 2 cores is slow).
    await waitFor(async () => frames(await inbound(alice.page)) > before + 5, 5000,
                  'Alice still decodes Bob');
  });
});

// Carol's whole browser stops answering (`signal`); the others must lose her tile within `ms`.
async function removedWhenBrowserDies(t, env, room, signal, ms) {
  const carolBrowser = await launchKillableBrowser(env);
  const [alice, bob, carol] = await threeInRoom(env, room, carolBrowser.browser);
  const stopped = Date.now();
  carolBrowser.signal(signal);
  const seen = await Promise.all([alice, bob].map(
    (p) => tileGoneAfter(p.page, carol.id, stopped, ms)));
  t.diagnostic(`after ${signal}, Carol's tile gone after ${seen.join(' / ')} ms`);
  for (const p of [alice, bob]) {
    const left = await receivedLeft(p.page, carol.id);
    assert.equal(left && left.reason, 'disconnected',
                 `${p.name} got participant_left reason disconnected`);
    assert.equal(await p.page.evaluate(() => window.confRoom.state), 'joined');
  }
  carolBrowser.signal('SIGKILL');
}

test('a participant whose browser freezes is removed once nothing arrives from it', async (t) => {
  // SIGSTOP: the WebSocket stays open (the kernel keeps the TCP connection), ICE goes silent.
  await runTest(t, 'frozen', (env) => removedWhenBrowserDies(
    t, env, 'browser-frozen', 'SIGSTOP', SILENCE_REMOVAL_MS + SILENCE_CHECK_MS));
});

test('a participant whose browser is killed is removed at once', async (t) => {
  // SIGKILL: the kernel closes the WebSocket's TCP connection without a close frame.
  await runTest(t, 'killed', (env) => removedWhenBrowserDies(
    t, env, 'browser-killed', 'SIGKILL', KILLED_REMOVAL_MS));
});

test('a WHIP publisher is a participant named whip-…', async (t) => {
  await runTest(t, 'whip', async (env) => {
    const room = 'browser-whip';
    const browser = await launchBrowser(env, LAUNCH_OPTIONS);
    const alice = await newPage(env, browser, 'Alice');
    await join(env, alice, room, 'Alice');
    const publisher = await newPage(env, browser, 'publisher');
    await publisher.goto(`${env.confd.url}publish/${room}`);
    await publisher.getByRole('button', { name: 'Publish' }).click();

    const whip = await waitFor(() => alice.evaluate(() => [...window.confRoom.participants
      .values()].map((p) => ({ id: p.id, name: p.name }))
      .find((p) => /^whip-/.test(p.name))), JOIN_MS, 'Alice sees a whip-… participant');
    await waitForMediaFrom(alice, 'Alice', [whip.id]);
    await publisher.getByRole('button', { name: 'Stop' }).click();
    await tileGoneAfter(alice, whip.id, Date.now(), LEAVE_SEEN_MS);
    const left = await receivedLeft(alice, whip.id);
    assert.equal(left && left.reason, 'left', 'a WHIP DELETE is a leave');
  });
});

test('confd closes the socket on protocol violations with the documented codes', async (t) => {
  await runTest(t, 'protocol', async (env) => {
    const page = await newPage(env, await launchBrowser(env, LAUNCH_OPTIONS), 'raw');
    await page.goto(`${env.confd.url}r/browser-protocol`); // an origin for the sockets
    // Opens /ws/{room}, sends `frames` once open; resolves with what came back and the close.
    const exchange = (frames, waitMs) => socketExchange(page, 'browser-protocol', frames, waitMs);
    const join = (name) => JSON.stringify({ type: 'join', name,
                                            publish: { audio: false, video: false } });

    const results = await Promise.all([
      exchange([], 15000), // no join within 10 s
      exchange(['{not json']),
      exchange([JSON.stringify({ type: 'mute', kind: 'audio', muted: true })]),
      exchange([join('   ')]),
      exchange([join('x'.repeat(65))]),
      exchange([join('Twice'), join('Twice')]),
      exchange([join('Big'), JSON.stringify({ type: 'x', pad: 'x'.repeat(1024 * 1024) })]),
      exchange([join('Polite'), JSON.stringify({ type: 'leave' })]),
      // Not fatal: an unknown type, malformed JSON and an answer to an offer that was never
      // made each get an error, and the session goes on until the client leaves.
      exchange([join('Odd'), JSON.stringify({ type: 'dance' }), '{"type": "answer"',
                JSON.stringify({ type: 'answer', revision: 7, sdp: 'v=0\r\n' }),
                JSON.stringify({ type: 'leave' })]),
    ]);
    const codes = results.map((r) => r.close && r.close.code);
    t.diagnostic(JSON.stringify(results.map((r) => r.close)));
    assert.deepEqual(codes, [4400, 4400, 4400, 4400, 4400, 4400, 1009, 1000, 1000]);
    for (const r of results.slice(0, 6)) assert.ok(r.close.reason, 'a 4400 says why');
    const welcome = results[7].messages[0];
    assert.equal(welcome && welcome.type, 'welcome');
    assert.equal(welcome.room, 'browser-protocol');
    assert.equal(typeof welcome.participant_id, 'string');
    assert.ok(Array.isArray(welcome.participants));
    assert.equal(results[7].close.reason, 'left');
    const errors = results[8].messages.filter((m) => m.type === 'error');
    t.diagnostic(JSON.stringify(errors));
    assert.ok(errors.some((e) => e.code === 'invalid_argument' && e.in_reply_to === 'dance'),
              'an unknown type is an invalid_argument error');
    assert.ok(errors.some((e) => e.code === 'invalid_argument' && /JSON/.test(e.message)),
              'malformed JSON after join is an error, not a close');
    assert.ok(errors.some((e) => e.code === 'failed_precondition' && e.in_reply_to === 'answer'),
              'an answer out of order is refused');
    assert.ok(results[8].messages.some((m) => m.type === 'welcome'), 'the session went on');
  });
});
