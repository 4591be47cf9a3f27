// Loaded with --require into a child made by utility-fork.cjs: Electron's process.parentPort
// over Node's IPC channel ({ data } events in, postMessage out).
'use strict';
const listeners = [];
process.parentPort = {
  on(event, listener) {
    if (event === 'message') {
      if (listeners.length === 0) process.on('message', (data) => listeners.forEach((l) => l({ data, ports: [] })));
      listeners.push(listener);
    }
    return this;
  },
  postMessage(message) {
    process.send(message);
  },
};
