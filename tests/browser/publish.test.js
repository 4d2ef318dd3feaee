'use strict';
// The browser publish page (GET /publish/{room}) end to end, with real headless Chromium:
// confd runs with the recorder profile, Chromium publishes its fake camera and microphone
// through the page, confd is stopped with SIGTERM, and the recording is checked with ffprobe
// and the manifest's checksum.
//
//   ctest --test-dir build -L browser                  (installs playwright-core, then runs)
//   cd tests/browser && npm ci && CONFD_PATH=../../build/daemon/confd node --test
//
// Environment: CONFD_PATH (required), CHROMIUM_PATH (default /usr/bin/chromium), FFPROBE_PATH
// (default ffprobe), BROWSER_TEST_OUTPUT_DIR (screenshots, logs, measurements; default
// tests/browser/test-output).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const {
  FFPROBE_PATH, OUTPUT_DIR, launchOptions, checkTools, sleep, startConfd,
  makeDirs, removeTmp, watchPage,
} = require('./support');

const PUBLISH_MS = 5000;

// confd records every publisher; the recordings are checked with ffprobe.
const CONFD_ARGS = ['--profile', 'recorder'];

function findManifests(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === 'manifest.json') {
      found.push(path.join(entry.parentPath ?? entry.path, entry.name));
    }
  }
  return found;
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

// ffprobe's independent view: codecs, decodable video frames, duration.
function ffprobe(file) {
  const json = execFileSync(FFPROBE_PATH, [
    '-v', 'error', '-count_frames', '-show_entries',
    'stream=codec_name,codec_type,nb_read_frames,width,height:format=duration', '-of', 'json',
    file,
  ], { encoding: 'utf8' });
  const probe = JSON.parse(json);
  return {
    streams: probe.streams,
    video: probe.streams.find((s) => s.codec_type === 'video'),
    audio: probe.streams.find((s) => s.codec_type === 'audio'),
    duration: Number(probe.format.duration),
  };
}

// A browser test's directories and its cleanup(), which tears down whatever start() got to.
function makeEnv(name) {
  const { outDir, tmp } = makeDirs(name, `confd-browser-${name}-`);
  const dataDir = path.join(tmp, 'data');
  const env = { outDir, tmp, dataDir, confd: null, context: null, page: null };
  env.cleanup = async (passed) => {
    if (env.context) await env.context.close().catch(() => {});
    if (env.confd) await env.confd.kill();
    // On failure the recording goes to the output dir for a look.
    if (!passed && fs.existsSync(dataDir)) {
      fs.cpSync(dataDir, path.join(outDir, 'data'), { recursive: true });
    }
    removeTmp(tmp);
  };
  return env;
}

// confd, then Chromium with the page's requests and errors watched.
async function start(env) {
  const { tmp, dataDir, outDir } = env;
  env.confd = await startConfd(dataDir, outDir, CONFD_ARGS);
  env.context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    ...launchOptions({ fps: 30 }),
    viewport: { width: 900, height: 1000 },
  });
  env.page = env.context.pages()[0] ?? await env.context.newPage();
  env.foreignRequests = [];
  env.pageErrors = [];
  watchPage(env.page, env, { origin: new URL(env.confd.url).origin });
}

async function runTest(t, name, body) {
  checkTools({ ffprobe: true });
  const env = makeEnv(name);
  t.diagnostic(`output: ${env.outDir}`);
  let passed = false;
  try {
    await start(env);
    await body(env);
    passed = true;
  } finally {
    await env.cleanup(passed);
  }
}

function connectionState(page) {
  return page.locator('#state').textContent();
}

// Opens the page for `room`, picks `codec` and publishes; resolves when connected.
async function publish(env, room, codec) {
  const { page } = env;
  await page.goto(`${env.confd.url}publish/${room}`);
  assert.equal(await page.locator('#room').inputValue(), room, 'room prefilled from the path');
  await page.getByLabel('Video codec').selectOption(codec);
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.waitForFunction(
    () => ['connected', 'failed', 'error'].includes(document.getElementById('state').textContent),
    null, { timeout: 20000 });
  const state = await connectionState(page);
  const error = await page.locator('#error').textContent();
  assert.equal(state, 'connected', `page state ${state}: ${error}`);
  const location = await page.locator('#location').textContent();
  assert.match(location, new RegExp(`^/whip/${room}/[0-9a-f]{32}$`));
  return location;
}

// Publishes from the page, SIGTERMs confd and checks the recording. Returns the measurements.
async function publishAndRecord(t, env, { room, codec, ffprobeCodec, extension }) {
  const { page } = env;
  await publish(env, room, codec);
  const connectedAt = performance.now();

  await sleep(2500);
  await page.screenshot({ path: path.join(env.outDir, `publishing-${codec}.png`) });
  const elapsed = await page.locator('#elapsed').textContent();
  assert.match(elapsed, /^0:0[1-3]$/, 'elapsed time counts');
  const sending = await page.locator('#sending').textContent();
  assert.match(sending, new RegExp(`^${codec},`), `the page reports sending ${codec}`);
  await sleep(PUBLISH_MS - (performance.now() - connectedAt));
  assert.equal(await connectionState(page), 'connected', 'still connected at the end');

  const publishedSeconds = (performance.now() - connectedAt) / 1000;
  const code = await env.confd.terminate(5000);
  assert.equal(code, 0, 'confd exits 0 within 5 s of SIGTERM');
  assert.deepEqual(env.foreignRequests, [], 'the page loads nothing from elsewhere');
  assert.deepEqual(env.pageErrors, [], 'no script or console errors');

  const manifests = findManifests(path.join(env.dataDir, 'recordings', room));
  assert.equal(manifests.length, 1, 'one recording');
  const manifest = JSON.parse(fs.readFileSync(manifests[0], 'utf8'));
  fs.copyFileSync(manifests[0], path.join(env.outDir, 'manifest.json'));
  assert.equal(manifest.state, 'FINALIZED',
               `recording ${manifest.state}: ${manifest.failure_reason}`);
  assert.equal(manifest.room, room);
  assert.equal(manifest.files.length, 1);
  const media = path.join(path.dirname(manifests[0]), manifest.files[0].path);
  assert.equal(path.extname(media), extension);
  assert.equal(manifest.files[0].sha256, sha256(media), 'manifest sha256 matches the file');

  const probe = ffprobe(media);
  const result = {
    codec, file: path.basename(media), bytes: fs.statSync(media).size,
    published_s: Number(publishedSeconds.toFixed(2)), duration_s: probe.duration,
    video: probe.video && `${probe.video.codec_name} ${probe.video.width}x${probe.video.height}`,
    video_frames: probe.video && Number(probe.video.nb_read_frames),
    audio: probe.audio && probe.audio.codec_name, page_sending: sending,
  };
  fs.writeFileSync(path.join(env.outDir, 'result.json'), JSON.stringify(result, null, 2) + '\n');
  t.diagnostic(JSON.stringify(result));
  assert.equal(probe.video?.codec_name, ffprobeCodec);
  assert.equal(probe.audio?.codec_name, 'opus');
  assert.ok(result.video_frames >= 100, `${result.video_frames} decodable video frames`);
  assert.ok(Math.abs(probe.duration - publishedSeconds) <= 0.15 * publishedSeconds,
            `duration ${probe.duration} s vs ${publishedSeconds.toFixed(2)} s published`);
}

test('GET /publish serves the self-contained page with strict headers', async () => {
  checkTools({ ffprobe: true });
  const outDir = path.join(OUTPUT_DIR, 'page');
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'confd-browser-page-'));
  let confd = null;
  try {
    confd = await startConfd(path.join(tmp, 'data'), outDir, CONFD_ARGS);
    for (const p of ['publish', 'publish/', 'publish/room-1', 'publish/room-1/']) {
      const response = await fetch(confd.url + p);
      assert.equal(response.status, 200, p);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const csp = response.headers.get('content-security-policy');
      assert.match(csp, /default-src 'self'/);
      assert.doesNotMatch(csp, /https?:|\*/, 'no other origin is allowed');
      const html = await response.text();
      assert.match(html, /^<!DOCTYPE html>/);
      assert.doesNotMatch(html, /<(script|link|img|iframe)[^>]+(src|href)=/i,
                          'no external resource');
    }
    for (const p of ['publish/a/b', 'publishx']) {
      assert.equal((await fetch(confd.url + p)).status, 404, p);
    }
    const post = await fetch(confd.url + 'publish/room-1', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal(await confd.terminate(5000), 0);
  } finally {
    if (confd) await confd.kill();
    removeTmp(tmp);
  }
});

test('VP8 from the page is recorded as WebM', async (t) => {
  await runTest(t, 'vp8', (env) => publishAndRecord(t, env, {
    room: 'browser-vp8', codec: 'VP8', ffprobeCodec: 'vp8', extension: '.webm',
  }));
});

test('H.264 from the page is recorded as Matroska', async (t) => {
  await runTest(t, 'h264', (env) => publishAndRecord(t, env, {
    room: 'browser-h264', codec: 'H264', ffprobeCodec: 'h264', extension: '.mkv',
  }));
});

test('VP9 from the page is recorded as WebM', async (t) => {
  await runTest(t, 'vp9', (env) => publishAndRecord(t, env, {
    room: 'browser-vp9', codec: 'VP9', ffprobeCodec: 'vp9', extension: '.webm',
  }));
});

test('Stop DELETEs the session, the recording is finalized; bad rooms are refused', async (t) => {
  await runTest(t, 'stop', async (env) => {
    const room = 'browser-stop';
    const { page } = env;
    // A room name confd would refuse is caught on the page, before any request.
    await page.goto(`${env.confd.url}publish`);
    await page.locator('#room').fill('.hidden');
    await page.getByRole('button', { name: 'Publish' }).click();
    assert.match(await page.getByRole('alert').textContent(), /room name/);
    assert.equal(await connectionState(page), 'idle');

    await publish(env, room, 'VP8');
    await sleep(2000);
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.waitForFunction(() => document.getElementById('state').textContent === 'stopped',
                               null, { timeout: 10000 });
    assert.equal(await page.locator('#error').isHidden(), true, 'the DELETE succeeded');
    assert.equal(await page.getByRole('button', { name: 'Publish' }).isEnabled(), true);

    // The DELETE ends the recording while confd keeps running.
    const dir = path.join(env.dataDir, 'recordings', room);
    let manifest = null;
    for (const deadline = Date.now() + 10000; Date.now() < deadline; await sleep(200)) {
      const [file] = findManifests(dir);
      manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (manifest.state !== 'RECORDING') break;
    }
    assert.equal(manifest.state, 'FINALIZED',
                 `recording ${manifest.state}: ${manifest.failure_reason}`);
    assert.ok(env.confd.running());
    assert.equal(await env.confd.terminate(5000), 0, 'confd exits 0 within 5 s of SIGTERM');
    assert.deepEqual(env.pageErrors, [], 'no script or console errors');
  });
});
