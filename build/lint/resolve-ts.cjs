// The import resolver of the folder-graph lint (build/lint/folder-graph.mjs): our sources import
// `./x.js` and the file on disk is `./x.ts` (NodeNext resolution). Only relative imports are
// ours; a bare name (a package, a Node built-in) is left unresolved, which the rule ignores.
'use strict';
const { existsSync } = require('node:fs');
const { dirname, resolve } = require('node:path');

exports.interfaceVersion = 2;

exports.resolve = function resolveTs(source, file) {
  if (!source.startsWith('./') && !source.startsWith('../')) return { found: false };
  const target = resolve(dirname(file), source);
  for (const candidate of [target.replace(/\.js$/, '.ts'), target, `${target}.ts`]) {
    if (existsSync(candidate)) return { found: true, path: candidate };
  }
  return { found: false };
};
