'use strict';
// The room's mix in real headless Chromium: in a hybrid room (the default for rooms made by a
// join), Carol ticks "Receive one mixed stream" and gets exactly one composite video and one
// mixed audio, from participant "mix", while Alice and Bob still get everyone's own tracks.
//
//   ctest --test-dir build -R browser_mix
//   cd tests/browser && npm ci && CONFD_PATH=../../build/daemon/confd node --test mix.test.js

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const {
  launchOptions, sleep, waitFor, makeTestEnv, runBrowserTest, launchBrowser, newPage, joinRoom,
  inbound, waitForMediaFrom,
} = require('./support');

// 15 fps: three Chromiums and the composite encode at once on this machine's 2 cores.
const LAUNCH_OPTIONS = launchOptions({ fps: 15 });

test('a participant that asks for the mix gets one composite and one sound; the others ' +
     'still get every track', async (t) => {
  await runBrowserTest(t, () => makeTestEnv('mix', 'hybrid'), async (env) => {
    const browser = await launchBrowser(env, LAUNCH_OPTIONS);
    const url = `${env.confd.url}r/browser-mix`;
    const people = [];
    for (const [name, mix] of [['Alice', false], ['Bob', false], ['Carol', true]]) {
      const page = await newPage(env, browser, name);
      people.push({ name, page, id: await joinRoom(page, url, name, { mix }) });
    }
    const [alice, bob, carol] = people;
    assert.equal(await carol.page.evaluate(() => window.confRoom.received
      .find((m) => m.type === 'welcome').mixed), true, 'the welcome says Carol gets the mix');
    assert.equal(await alice.page.evaluate(() => Boolean(window.confRoom.received
      .find((m) => m.type === 'welcome').mixed)), false);

    await waitForMediaFrom(carol.page, 'Carol', ['mix']);
    await waitForMediaFrom(alice.page, 'Alice', [bob.id, carol.id]);
    await waitForMediaFrom(bob.page, 'Bob', [alice.id, carol.id]);

    // Carol: one video and one audio stream, both the mix's; nobody else's tracks.
    const rows = await inbound(carol.page);
    assert.deepEqual(rows.map((r) => `${r.kind}:${r.participantId}`).sort(),
                     ['audio:mix', 'video:mix'], JSON.stringify(rows));
    // The composite is the canvas (1280x720 by default), shown in the one wide tile.
    await waitFor(() => carol.page.evaluate(() => {
      const video = document.querySelector('.tile.mix video');
      return video && video.videoWidth === 1280 && video.videoHeight === 720;
    }), 10000, "Carol's mix tile plays the 1280x720 composite");
    const visible = await carol.page.locator('.tile:visible').evaluateAll(
      (tiles) => tiles.map((e) => e.querySelector('.name').textContent));
    assert.deepEqual(visible.sort(), ['Carol (you)', 'Everyone'], JSON.stringify(visible));

    await sleep(4000); // a few more frames, so the picture shows both others
    const screenshot = path.join(env.outDir, 'mix-carol.png');
    await carol.page.screenshot({ path: screenshot });
    t.diagnostic(`screenshot: ${screenshot}`);
  });
});
