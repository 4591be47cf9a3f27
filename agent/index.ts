// The engine's public API: one join function that yields typed progress events,
// plus what the CLI and the Electron app need around it.
export { join, type JoinOptions } from './join/engine.js';
export { parseJoinCommand, type ParsedJoinCommand } from './cli/command-line.js';
export { getDeviceFacts } from './join/device-facts.js';
export { runDoctor } from './doctor/index.js';
export { proxyConfig, proxyInUse } from './transport/proxy.js';
export * from './contract/index.js';
export { runCliProcess } from './cli/main.js';
export { helperEnv, setKeychainHelperLauncher, type KeychainHelperLauncher, type HelperEvents, type HelperChannel } from './store/keytar-child.js';
export type { HelperRequest, HelperReply } from './store/keytar-serve.js';
export type { Keytar } from './store/keytar-loader.js';
export { runRotationAgent, type AgentOptions } from './lifecycle/agent-loop.js';
export { backgroundClock, clockFromEnv } from './lifecycle/clock.js';
export { locateCredential } from './store/installed.js';
export { readBoundedFile } from './transport/bounded-file.js';
export { buildJoinRequest, type JoinField, type JoinInput } from './input/join-request.js';
export { KUBEADM_YAML } from './input/yaml.js';
export { PROVISION_KEYS, readKeyedFile, type ProvisionKey } from './input/keyed-file.js';
export type { CliContext } from './cli/context.js';
