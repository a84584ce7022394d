// Minifies tracker.js into <outDir>/tracker.min.js. The Maven build runs `npm ci` in this folder,
// then `node build.mjs target/classes/tracker` during generate-resources. A relative <outDir> is
// taken from the edge-http module folder whatever the working directory, so the result lands in
// the module's target/ either way. Any failure exits non-zero: the build must stop rather than
// package a stale or missing script.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { minify } from 'terser';

const here = dirname(fileURLToPath(import.meta.url));
const moduleDir = resolve(here, '..', '..', '..');

async function main() {
  const outDir = process.argv[2];
  if (!outDir) throw new Error('usage: node build.mjs <outDir>');
  const source = await readFile(join(here, 'tracker.js'), 'utf8');
  const result = await minify(source, {
    ecma: 2017,
    compress: { passes: 2 },
    mangle: true,
    // The edge writes `window.__relanceConfig=…;` in front; a leading `!function` would still
    // parse, but an explicit separator keeps any concatenation safe.
    format: { comments: false, preamble: ';' }
  });
  if (!result.code) throw new Error('terser produced no code');
  const dir = resolve(moduleDir, outDir);
  await mkdir(dir, { recursive: true });
  const target = join(dir, 'tracker.min.js');
  await writeFile(target, result.code + '\n');
  const bytes = Buffer.byteLength(result.code + '\n');
  console.log(`tracker.min.js: ${bytes} bytes, ${gzipSync(result.code + '\n').length} gzipped -> ${target}`);
}

main().catch((e) => {
  console.error(`tracker build failed: ${e && e.message ? e.message : e}`);
  process.exit(1);
});
