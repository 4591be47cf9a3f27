// Builds the renderer into dist/renderer exactly as build/bundle.mjs does (so the test
// serves what ships), and the test bridge into a script string.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../', import.meta.url));
export const rendererDir = `${root}dist/renderer`;

export async function buildRenderer(): Promise<void> {
  await mkdir(rendererDir, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: { app: 'renderer/index.ts' },
    outdir: 'dist/renderer',
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'style.css']) await copyFile(`${root}renderer/${f}`, `${rendererDir}/${f}`);
}

export async function buildTestBridge(): Promise<string> {
  const out = await build({
    absWorkingDir: root,
    entryPoints: ['test/e2e/helpers/test-bridge.ts'],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    logLevel: 'warning',
  });
  return out.outputFiles[0]!.text;
}
