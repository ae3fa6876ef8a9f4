// AsyncAPI document -> one self-contained HTML page (the @asyncapi/html-template).
// Usage: node cd/html_docs.mjs SPEC.yaml OUT_DIR
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Generator from '@asyncapi/generator';

const [spec, outDir] = process.argv.slice(2);
if (!spec || !outDir) {
  console.error('usage: node cd/html_docs.mjs SPEC.yaml OUT_DIR');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
mkdirSync(outDir, { recursive: true });
const generator = new Generator(join(here, 'node_modules', '@asyncapi', 'html-template'), resolve(outDir), {
  forceWrite: true,
  install: false,
  templateParams: { singleFile: 'true', outFilename: 'index.html' },
});
await generator.generateFromFile(resolve(spec));
console.log(`wrote ${join(outDir, 'index.html')}`);
