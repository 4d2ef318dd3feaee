'use strict';
// What the browser tests (publish.test.js, room.test.js) share: the tools they run, confd as a
// child process, Chromium's flags and launch options, watching a page for errors, and output
// directories.
//
// Environment: CONFD_PATH (required), CHROMIUM_PATH (default /usr/bin/chromium), FFPROBE_PATH
// (default ffprobe), BROWSER_TEST_OUTPUT_DIR (screenshots, logs, measurements; default
// tests/browser/test-output).

const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const CONFD_PATH = process.env.CONFD_PATH;
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const FFPROBE_PATH = process.env.FFPROBE_PATH || 'ffprobe';
const OUTPUT_DIR = process.env.BROWSER_TEST_OUTPUT_DIR || path.join(__dirname, 'test-output');

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

module.exports = {
  CONFD_PATH, CHROMIUM_PATH, FFPROBE_PATH, OUTPUT_DIR,
  chromiumArgs, launchOptions, killOnExit, checkTools, sleep, waitFor, startConfd, makeDirs,
  removeTmp, watchPage,
};
