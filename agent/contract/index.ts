// The one contract shared by agent, main and renderer. Runtime-free: imports nothing
// outside this folder, so the renderer may import it.
export * from './phases.js';
export * from './errors.js';
export * from './options.js';
export * from './device.js';
export * from './events.js';
export * from './validate.js';
export * from './mask.js';
export * from './steps.js';
export * from './ipc.js';
export * from './doctor.js';
export * from './lifecycle.js';
export * from './text.js';
