// The engine's public API: one join function that yields typed progress events,
// plus what the CLI and the Electron app need around it.
export { join, type JoinOptions } from './join.js';
export { parseJoinCommand, type ParsedJoinCommand } from './command-line.js';
export { getDeviceFacts } from './device.js';
export * from './contract/index.js';
