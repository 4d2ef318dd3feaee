'use strict';
// What the browser tests (publish.test.js, room.test.js, join_auth.test.js) share: the tools
// they run, confd as a child process, Chromium's flags and launch options, watching a page for
// errors, and output directories; and for the room page's tests, a test's environment and run,
// pages that join a room, the media they receive and raw room-protocol sockets.
//
// Environment: CONFD_PATH (required), CHROMIUM_PATH (default /usr/bin/chromium), FFPROBE_PATH
// (default ffprobe), BROWSER_TEST_OUTPUT_DIR (screenshots, logs, measurements; default
// tests/browser/test-output).

const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const CONFD_PATH = process.env.CONFD_PATH;
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const FFPROBE_PATH = process.env.FFPROBE_PATH || 'ffprobe';
const OUTPUT_DIR = process.env.BROWSER_TEST_OUTPUT_DIR || path.join(__dirname, 'test-output');

const JOIN_MS = 15000;   // Join clicked → the page is in the room (welcome received)
const DECODE_MS = 20000; // joined → video decoded from every other participant

// Chromium keeps only the last --disable-features, so this one repeats what Playwright's own
// (which it replaces) turns off to keep Chromium quiet and predictable.
const DISABLED_FEATURES = [
  // Host candidates as addresses, not .local names that libnice cannot resolve.
  'WebRtcHideLocalIpsWithMdns',
  // From Playwright's list: no calls to outside hosts, no surprises in screenshots.
  'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled', 'PreconnectToSearch',
  'MediaRouter', 'LensOverlay', 'PaintHolding', 'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable', 'DestroyProfileOnBrowserClose',
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'ThirdPartyStoragePartitioning',
];

// Chromium's command line; its fake camera runs at `fps` frames a second.
function chromiumArgs({ fps }) {
  return [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', `--use-fake-device-for-media-stream=fps=${fps}`,
    '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required',
    '--disable-features=' + DISABLED_FEATURES.join(','),
  ];
}

// Options for chromium.launch(), launchServer() and launchPersistentContext().
function launchOptions({ fps }) {
  return {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: chromiumArgs({ fps }),
    // Playwright mutes audio by default; the fake microphone must be heard (the recording
    // carries it, the room's participants hear its beeps).
    ignoreDefaultArgs: ['--mute-audio'],
  };
}

// Every confd and browser a test file started, so none outlives the test process, however it
// ends.
const exitKills = new Set();
process.on('exit', () => {
  for (const kill of exitKills) kill();
});

// Calls `kill` if the test process exits; returns what forgets it again.
function killOnExit(kill) {
  exitKills.add(kill);
  return () => exitKills.delete(kill);
}

// Fails the test when a tool is missing; `ffprobe` says whether the file needs ffprobe too.
function checkTools({ ffprobe = false } = {}) {
  assert.ok(CONFD_PATH, 'CONFD_PATH must name the confd binary to test');
  assert.ok(fs.existsSync(CONFD_PATH), `CONFD_PATH ${CONFD_PATH} does not exist`);
  assert.ok(fs.existsSync(CHROMIUM_PATH),
            `${CHROMIUM_PATH} does not exist: install Debian's chromium package`);
  if (!ffprobe) return;
  try {
    execFileSync(FFPROBE_PATH, ['-version'], { stdio: 'ignore' });
  } catch (e) {
    assert.fail(`cannot run ${FFPROBE_PATH}: install Debian's ffmpeg package (${e.message})`);
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Polls `probe` until it returns something truthy; fails after `ms` with `what`.
async function waitFor(probe, ms, what) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(250);
  }
}

// A confd child with its output in `logDir`, listening on free ports and given `extraArgs`
// too; resolves once it prints its listening line.
async function startConfd(dataDir, logDir, extraArgs = []) {
  const args = ['--http', '127.0.0.1:0', '--grpc', '127.0.0.1:0', '--data-dir', dataDir,
                ...extraArgs];
  const stderr = fs.openSync(path.join(logDir, 'confd.stderr'), 'w');
  const child = spawn(CONFD_PATH, args, { stdio: ['ignore', 'pipe', stderr] });
  fs.closeSync(stderr);
  const forget = killOnExit(() => child.kill('SIGKILL'));
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      forget();
      resolve({ code, signal });
    });
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    fs.appendFileSync(path.join(logDir, 'confd.stdout'), chunk);
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`confd did not start in 10 s: ${stdout}`));
    }, 10000);
    child.stdout.on('data', () => {
      const match = /confd listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`confd exited (${code ?? signal}) before listening; see ${logDir}`));
    });
  });
  return {
    url,
    running: () => child.exitCode === null && child.signalCode === null,
    // The exit code, or null if confd did not exit within `ms`.
    async terminate(ms) {
      child.kill('SIGTERM');
      const result = await Promise.race([exited, sleep(ms).then(() => null)]);
      return result && (result.code ?? 128 + os.constants.signals[result.signal]);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

// A test's fresh output directory OUTPUT_DIR/`outName` and a new temporary directory whose
// name starts with `tmpPrefix`.
function makeDirs(outName, tmpPrefix) {
  const outDir = path.join(OUTPUT_DIR, outName);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  return { outDir, tmp };
}

function removeTmp(tmp) {
  // Chromium's helpers may still be closing files in the profile: retry a little.
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}

// Watches `page`: what it loads from elsewhere than `origins` goes to `env.foreignRequests`,
// its script errors, failed responses and console errors to `env.pageErrors`, each entry
// after `prefix`. `origin` is confd's.
function watchPage(page, env, { origin, origins = [origin], prefix = '' }) {
  page.on('request', (request) => {
    if (!origins.includes(new URL(request.url()).origin)) {
      env.foreignRequests.push(prefix + request.url());
    }
  });
  page.on('pageerror', (error) => env.pageErrors.push(prefix + error));
  // The browser asks for /favicon.ico by itself (confd has none: 404, and a console line).
  const favicon = (url) => new URL(url).pathname === '/favicon.ico';
  page.on('response', (response) => {
    if (response.status() >= 400 && !favicon(response.url())) {
      env.pageErrors.push(`${prefix}${response.status()} ${response.url()}`);
    }
  });
  page.on('console', (message) => {
    if (message.type() === 'error' && !favicon(message.location().url || origin)) {
      env.pageErrors.push(`${prefix}console: ${message.text()}`);
    }
  });
}

// ---- the room page's tests ----------------------------------------------------------------

// A room test's environment: its fresh output directory OUTPUT_DIR/`kind`-`name` and
// temporary directory, the confd (started with `confdArgs`), the browsers and browser servers
// it launched, what its pages did wrong, and cleanup(), which tears down whatever it started.
function makeTestEnv(kind, name) {
  const { outDir, tmp } = makeDirs(`${kind}-${name}`, `confd-${kind}-${name}-`);
  const env = {
    outDir, tmp, confd: null, confdArgs: [], browsers: [], servers: [], pageErrors: [],
    foreignRequests: [],
  };
  env.cleanup = async () => {
    for (const browser of env.browsers) await browser.close().catch(() => {});
    for (const server of env.servers) await server.kill().catch(() => {});
    if (env.confd) await env.confd.kill();
    removeTmp(tmp);
  };
  return env;
}

// Runs `body(env)` in a new `makeEnv()` environment against a confd of its own, then checks
// that the pages loaded nothing from elsewhere and had no errors, then `check(env)`; tears
// down whatever the test started, however it ends.
async function runBrowserTest(t, makeEnv, body, check = () => {}) {
  checkTools();
  const env = makeEnv();
  t.diagnostic(`output: ${env.outDir}`);
  try {
    env.confd = await startConfd(path.join(env.tmp, 'data'), env.outDir, env.confdArgs);
    await body(env);
    assert.deepEqual(env.foreignRequests, [], 'the pages load nothing from elsewhere');
    assert.deepEqual(env.pageErrors, [], 'no script or console errors');
    await check(env);
  } finally {
    await env.cleanup();
  }
}

// A Chromium of the test's, launched with `options`; separate contexts in it are separate
// participants.
async function launchBrowser(env, options) {
  const browser = await chromium.launch(options);
  env.browsers.push(browser);
  return browser;
}

// A page in a new context of `browser` (its own sessionStorage), with its requests and errors
// watched.
async function newPage(env, browser, label) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  const page = await context.newPage();
  const origin = new URL(env.confd.url).origin;
  // The room's WebSocket (/ws/{room}) is confd's too.
  watchPage(page, env, {
    origin, origins: [origin, origin.replace(/^http/, 'ws')], prefix: `${label}: `,
  });
  return page;
}

// Opens the room page at `url` (/r/{room}, perhaps with #token=...), joins as `name` (asking
// for the room's mix with `mix`); resolves with the participant id confd gave.
async function joinRoom(page, url, name, { mix = false } = {}) {
  await page.goto(url);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Receive one mixed stream').setChecked(mix);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await page.waitForFunction(() => ['joined', 'error'].includes(window.confRoom.state), null,
                             { timeout: JOIN_MS });
  const { state, lastError, participantId } = await page.evaluate(() => ({
    state: window.confRoom.state, lastError: window.confRoom.lastError,
    participantId: window.confRoom.participantId,
  }));
  assert.equal(state, 'joined', `${name} could not join: ${lastError && lastError.message}`);
  assert.ok(participantId, `${name} got a participant id`);
  return participantId;
}

// The page's inbound RTP streams, each with the participant its m-line belongs to.
function inbound(page) {
  return page.evaluate(async () => {
    const room = window.confRoom;
    const stats = await room.pc.getStats();
    const rows = [];
    stats.forEach((report) => {
      if (report.type !== 'inbound-rtp') return;
      const sub = room.subscriptions.get(report.mid);
      rows.push({
        kind: report.kind, mid: report.mid, participantId: sub ? sub.participantId : null,
        framesDecoded: report.framesDecoded || 0, packetsReceived: report.packetsReceived || 0,
        bytesReceived: report.bytesReceived || 0,
      });
    });
    return rows;
  });
}

// Waits until `page` decodes video (and receives audio) from each of `ids`; on failure says
// where the page's session stands.
async function waitForMediaFrom(page, who, ids) {
  try {
    return await waitFor(async () => {
      const rows = await inbound(page);
      const from = (kind, ok) => new Set(rows.filter((r) => r.kind === kind && ok(r))
                                             .map((r) => r.participantId));
      const video = from('video', (r) => r.framesDecoded > 0);
      const audio = from('audio', (r) => r.packetsReceived > 0);
      return ids.every((id) => video.has(id) && audio.has(id)) ? rows : null;
    }, DECODE_MS, `${who} decodes video and receives audio from ${ids.join(', ')}`);
  } catch (e) {
    const state = await page.evaluate(() => ({
      state: window.confRoom.state, lastError: window.confRoom.lastError,
      close: window.confRoom.close, media: window.confRoom.pc && window.confRoom.pc.connectionState,
      received: window.confRoom.received.map((m) => m.type),
    })).catch((error) => String(error));
    e.message += `; the page: ${JSON.stringify(state)}`;
    throw e;
  }
}

// From `page` (on confd's origin), opens /ws/{room}, sends the text `frames` once it is open
// and resolves with what came back and the close ({code, reason}), or a null close if the
// socket was still open after `waitMs`.
function socketExchange(page, room, frames, waitMs = 5000) {
  return page.evaluate(({ room, frames, waitMs }) => new Promise((resolve) => {
    const ws = new WebSocket(`ws://${location.host}/ws/${room}`);
    const messages = [];
    const timer = setTimeout(() => {
      ws.close();
      resolve({ messages, close: null });
    }, waitMs);
    ws.onopen = () => frames.forEach((f) => ws.send(f));
    ws.onmessage = (event) => messages.push(JSON.parse(event.data));
    ws.onclose = (event) => {
      clearTimeout(timer);
      resolve({ messages, close: { code: event.code, reason: event.reason } });
    };
  }), { room, frames, waitMs });
}

module.exports = {
  CONFD_PATH, CHROMIUM_PATH, FFPROBE_PATH, OUTPUT_DIR, JOIN_MS, DECODE_MS,
  chromiumArgs, launchOptions, killOnExit, checkTools, sleep, waitFor, startConfd, makeDirs,
  removeTmp, watchPage, makeTestEnv, runBrowserTest, launchBrowser, newPage, joinRoom, inbound,
  waitForMediaFrom, socketExchange,
};
