// Bundles the console (src/main.js and the CSS it imports, uPlot included) with esbuild into
// <outDir>: index.html, main-<hash>.js, main-<hash>.css and files.txt (the list the edge loads at
// start). The Maven build runs `npm ci` here, then `node build.mjs target/classes/console` during
// generate-resources. Hashed names let the edge cache the bundles for a year while index.html is
// revalidated on every load. A relative <outDir> is taken from the edge-http module folder, like the
// tracker's build. Any failure exits non-zero so that a stale console is never packaged.
import { build } from 'esbuild';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const moduleDir = resolve(here, '..', '..', '..');

async function main() {
  const outArg = process.argv[2];
  if (!outArg) throw new Error('usage: node build.mjs <outDir>');
  const outDir = resolve(moduleDir, outArg);
  // Old hashed bundles would otherwise pile up in target/classes and be packaged.
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(here, 'src', 'main.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    entryNames: '[name]-[hash]',
    outdir: outDir,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning'
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const script = outputs.find((f) => f.endsWith('.js'));
  const style = outputs.find((f) => f.endsWith('.css'));
  if (!script || !style) throw new Error(`esbuild gave no script or style: ${outputs.join(', ')}`);
  const template = await readFile(join(here, 'src', 'index.html'), 'utf8');
  const html = template.replace('{{SCRIPT}}', script).replace('{{STYLE}}', style);
  await writeFile(join(outDir, 'index.html'), html);
  const files = (await readdir(outDir)).filter((f) => f !== 'files.txt').sort();
  await writeFile(join(outDir, 'files.txt'), files.join('\n') + '\n');
  for (const f of files) {
    const bytes = await readFile(join(outDir, f));
    console.log(`console/${f}: ${bytes.length} bytes, ${gzipSync(bytes).length} gzipped`);
  }
}

main().catch((e) => {
  console.error(`console build failed: ${e && e.message ? e.message : e}`);
  process.exit(1);
});
