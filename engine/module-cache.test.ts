import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ModuleCache } from "./module-cache.js";
import { parseEntrypoint } from "./module-loader.js";

/** The smallest command module: `(func (export "_start"))`. */
const startModule = Buffer.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02,
  0x01, 0x00, 0x07, 0x0a, 0x01, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, 0x0a, 0x04,
  0x01, 0x02, 0x00, 0x0b,
]);
/** The same module with one more (empty) custom section: other content, other digest. */
const otherModule = Buffer.concat([startModule, Buffer.from([0x00, 0x02, 0x01, 0x78])]);

function files(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), "module-cache-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return (name: string, content: Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  };
}

describe("module cache", () => {
  it("compiles the same content once, whatever the path, and gives every caller that Module", async (t) => {
    const file = files(t);
    const cache = new ModuleCache();
    const entry = parseEntrypoint("/app.wasm");
    const [a, b] = await Promise.all([
      cache.load(file("a.wasm", startModule), entry),
      cache.load(file("b.wasm", startModule), entry),
    ]);
    const c = await cache.load(file("c.wasm", startModule), entry);
    assert.equal(a, b);
    assert.equal(a, c);
    assert.deepEqual(cache.stats, { entries: 1, hits: 2, misses: 1 });
  });

  it("checks the entrypoint's export on every load, hit or miss", async (t) => {
    const file = files(t);
    const cache = new ModuleCache();
    const app = file("app.wasm", startModule);
    await cache.load(app, parseEntrypoint("/app.wasm"));
    await assert.rejects(cache.load(app, parseEntrypoint("/app.wasm#hello")), {
      message: /\/app\.wasm has no exported function hello/,
    });
  });

  it("does not keep a module that failed to compile", async (t) => {
    const file = files(t);
    const cache = new ModuleCache();
    const bad = file("bad.wasm", Buffer.from("not wasm at all"));
    for (let i = 0; i < 2; i++) {
      await assert.rejects(cache.load(bad, parseEntrypoint("/bad.wasm")), /not a WebAssembly/);
    }
    assert.equal(cache.stats.entries, 0);
    assert.equal(cache.stats.misses, 2);
  });

  it("drops the least recently used module beyond its limit", async (t) => {
    const file = files(t);
    const cache = new ModuleCache({ maxEntries: 1 });
    const entry = parseEntrypoint("/app.wasm");
    const first = await cache.load(file("a.wasm", startModule), entry);
    await cache.load(file("b.wasm", otherModule), entry);
    const again = await cache.load(file("a.wasm", startModule), entry);
    assert.notEqual(again, first, "the first module was evicted and compiled again");
    assert.deepEqual(cache.stats, { entries: 1, hits: 0, misses: 3 });
  });

  it("keeps a module per memory limit, since the limit rewrites its code", async (t) => {
    const file = files(t);
    const cache = new ModuleCache();
    const entry = parseEntrypoint("/app.wasm");
    const app = file("app.wasm", startModule);
    const unlimited = await cache.load(app, entry);
    const limited = await cache.load(app, entry, { memoryLimitBytes: 1 << 20 });
    assert.notEqual(limited, unlimited);
    assert.equal(await cache.load(app, entry, { memoryLimitBytes: 1 << 20 }), limited);
    assert.deepEqual(cache.stats, { entries: 2, hits: 1, misses: 2 });
  });

  it("compiles but does not keep a module larger than the byte limit", async (t) => {
    const file = files(t);
    const cache = new ModuleCache({ maxBytes: 8 });
    await cache.load(file("a.wasm", startModule), parseEntrypoint("/a.wasm"));
    assert.equal(cache.stats.entries, 0);
  });
});
