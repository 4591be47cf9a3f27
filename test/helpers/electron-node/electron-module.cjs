// Loaded with --require before dist/main/main.cjs under plain Node: require('electron') then
// gives the part of Electron the app's CLI mode uses (app, utilityProcess). Everything the
// windowed app needs is absent: a test that reaches it fails.
'use strict';
const Module = require('node:module');
const utilityProcess = require('./utility-fork.cjs');

const app = {
  isPackaged: true,
  whenReady: () => Promise.resolve(),
  exit: (code) => process.exit(code),
  dock: undefined,
};
const fake = { app, utilityProcess };
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'electron' ? 'electron' : resolve.call(this, request, ...rest);
};
Module._cache.electron = { id: 'electron', filename: 'electron', loaded: true, exports: fake };
